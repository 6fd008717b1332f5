"""Pages for getting in without the API: accepting an invitation, resetting a password."""

from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse_lazy

from config.api.viewsets import client_ip
from shared_apps.accounts import access
from shared_apps.accounts.forms import InvitationAcceptForm, PasswordResetForm


def invitation_accept_page(request):
    """GET: the form for the emailed link's token; POST: accept it (see `invitation_accept`)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404("Invitations are accepted on their organisation's host.")
    if request.method == "POST":
        form = InvitationAcceptForm(request.POST)
        if form.is_valid():
            try:
                membership = access.invitation_accept(
                    tenant=tenant, ip=client_ip(request), **form.cleaned_data
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                context = {"tenant": tenant, "membership": membership, "title": "Welcome"}
                return render(request, "accounts/invitation_accepted.html", context)
    else:
        form = InvitationAcceptForm(initial={"token": request.GET.get("token", "")})
    context = {"form": form, "tenant": tenant, "title": f"Join {tenant.name}"}
    return render(request, "accounts/invitation_accept.html", context)


reset_page = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm, success_url=reverse_lazy("password_reset_done")
)

# Served on tenant hosts and on the base domain (Django's reset views; our form also reaches
# people who never chose a password). `admin_password_reset` makes the admin's login page show
# "Forgotten your password?".
password_urlpatterns = [
    path("admin/password_reset/", reset_page, name="admin_password_reset"),
    path("accounts/password_reset/", reset_page, name="password_reset"),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

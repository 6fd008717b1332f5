"""Forms of the sign-in pages: the tenant admin's login, password reset, invitation accept."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError

from shared_apps.accounts.models import User


class TenantAdminAuthenticationForm(auth_forms.AuthenticationForm):
    """Sign in to a tenant's admin as one of its owners or admins (no `is_staff` needed)."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "not_administrator": "This account is not an owner or admin of this organisation.",
    }
    required_css_class = "required"

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        from config.admin_sites import membership_administers

        if not membership_administers(user=user, tenant=getattr(self.request, "tenant", None)):
            raise ValidationError(
                self.error_messages["not_administrator"], code="not_administrator"
            )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, also for people who never chose a password (new owners).

    On a tenant host the serving role sees only that tenant's members (RLS), so a reset there
    reaches members only; on the base domain it reaches every active user.
    """

    def get_users(self, email):
        return User._default_manager.filter(email__iexact=email.strip(), is_active=True)


class InvitationAcceptForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=200)
    full_name = forms.CharField(max_length=200, required=False, label="Your name (if new here)")
    password = forms.CharField(
        widget=forms.PasswordInput,
        max_length=200,
        help_text="New here: choose a password. Already have an account: enter your password.",
    )

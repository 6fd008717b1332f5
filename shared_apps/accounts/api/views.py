"""The tenant's memberships, API tokens and invitations; `/api/me/`; `POST /api/auth/token/`;
accepting invitations and setting passwords (no sign-in needed: the token or link is the proof).
"""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.permissions import OWNER, request_role
from config.api.throttling import LoginAccountThrottle, LoginIPThrottle
from config.api.viewsets import TenantGenericViewSet, TenantViewSetMixin, client_ip
from shared_apps.accounts import access, selectors
from shared_apps.accounts.api.serializers import (
    ApiTokenSerializer,
    InvitationAcceptSerializer,
    InvitationSerializer,
    MembershipSerializer,
    MeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    TokenRequestSerializer,
)
from shared_apps.accounts.forms import PasswordResetForm
from shared_apps.accounts.models import Role
from shared_apps.audit.services import AuditContext

INVALID_CREDENTIALS = "Invalid email or password, or not a member of this organisation."


class MembershipViewSet(TenantGenericViewSet, viewsets.ModelViewSet):
    """Who belongs to the organisation with which role. Admins add existing users by email
    (only owners add owners); owners change roles and remove members; the last owner cannot
    be demoted or removed."""

    resource = "memberships"
    serializer_class = MembershipSerializer
    selector = selectors.membership_list
    filterset_fields = ["role"]
    search_fields = ["user__email", "user__full_name"]

    def selector_kwargs(self):
        return {"tenant": self.request.tenant}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = access.membership_add(
            audit=self.audit_context(),
            email=data["user"]["email"],
            role=data.get("role", Role.MEMBER),
            adder_role=request_role(self.request),
        )

    def perform_update(self, serializer):
        instance = serializer.instance
        serializer.instance = access.membership_update(
            audit=self.audit_context(),
            instance=instance,
            role=serializer.validated_data.get("role", instance.role),
        )

    def perform_destroy(self, instance):
        access.membership_remove(audit=self.audit_context(), instance=instance)


class ApiTokenViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantGenericViewSet,
):
    """API tokens for this organisation. The key is returned once, on creation; DELETE revokes
    (the token stays listed with `revoked_at`)."""

    resource = "tokens"
    serializer_class = ApiTokenSerializer
    selector = selectors.api_token_list
    filterset_fields = ["user"]

    def selector_kwargs(self):
        return {
            "tenant": self.request.tenant,
            "user": self.request.user,
            "include_everyones": request_role(self.request) == OWNER,
        }

    def perform_create(self, serializer):
        token, key = access.api_token_issue(audit=self.audit_context(), **serializer.validated_data)
        token.key = key
        serializer.instance = token

    def perform_destroy(self, instance):
        access.api_token_revoke(audit=self.audit_context(), instance=instance)


class InvitationViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantGenericViewSet,
):
    """Invitations to join the organisation; the token is returned once and emailed to the
    invitee with a link to accept it. Only owners invite owners. `expires_at` defaults to seven
    days from now; DELETE withdraws a pending invitation (it stays listed with `revoked_at`)."""

    resource = "invitations"
    serializer_class = InvitationSerializer
    selector = selectors.invitation_list
    filterset_fields = ["role", "email"]

    def selector_kwargs(self):
        return {"tenant": self.request.tenant}

    def perform_create(self, serializer):
        invitation, key = access.invitation_create(
            audit=self.audit_context(),
            inviter_role=request_role(self.request),
            base_url=self.request.build_absolute_uri("/"),
            **serializer.validated_data,
        )
        invitation.token = key
        serializer.instance = invitation

    def perform_destroy(self, instance):
        access.invitation_revoke(audit=self.audit_context(), instance=instance)


class MeView(TenantViewSetMixin, APIView):
    """The caller: their user and role in this organisation."""

    resource = "me"

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user, tenant = request.user, request.tenant
        data = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "role": request_role(request),
            "tenant": {"id": tenant.pk, "slug": tenant.slug, "name": tenant.name},
        }
        return Response(MeSerializer(data).data)


class AuthTokenView(APIView):
    """Exchange the email and password of a member of this organisation for an API token.

    The key is in the response once; send it as `Authorization: Bearer <key>` on this host.
    Wrong credentials and non-members get the same 401, never saying which part was wrong.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]

    def get_authenticate_header(self, request):
        return "Bearer"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            201: ApiTokenSerializer,
            400: OpenApiResponse(description="Missing fields."),
            429: OpenApiResponse(description="Too many attempts; retry after `Retry-After` s."),
        },
        auth=[],
    )
    def post(self, request):
        tenant = getattr(request._request, "tenant", None)
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(
            request._request, email=data["email"].lower(), password=data["password"]
        )
        if user is None or tenant is None or not user.is_active:
            raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS)
        if selectors.membership_role_get(user=user, tenant=tenant) is None:
            raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS)
        audit = AuditContext(tenant=tenant, actor=user, ip=client_ip(request))
        token, key = access.api_token_issue(audit=audit, name=data["name"])
        token.key = key
        return Response(ApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)


class InvitationAcceptView(APIView):
    """Accept an invitation with its token and join with the invitation's role.

    New to Dev Context: send a `password` to choose (and optionally `full_name`); you get an
    account. Already have an account: send your current `password`. The token works once,
    until it expires or is withdrawn. Then sign in with `POST /api/auth/token/`.

    **Permissions:** anyone; the invitation token is the proof. Attempts are throttled per
    token and per client IP (429 with `Retry-After`).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]
    throttle_account_field = "token"

    @extend_schema(
        request=InvitationAcceptSerializer,
        responses={
            201: MembershipSerializer,
            400: OpenApiResponse(
                description="Unknown, used, withdrawn or expired token; bad password."
            ),
            429: OpenApiResponse(description="Too many attempts; retry after `Retry-After` s."),
        },
        auth=[],
    )
    def post(self, request):
        tenant = getattr(request._request, "tenant", None)
        if tenant is None:
            raise exceptions.NotFound("Accept an invitation on its organisation's host.")
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = access.invitation_accept(
            tenant=tenant, ip=client_ip(request), **serializer.validated_data
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class PasswordResetView(APIView):
    """Email a link to choose a new password to the account with this email.

    Always answers 202, so it never tells whether an account exists. On an organisation's host
    only its members get a link; on the base domain every user does.

    **Permissions:** anyone. Requests are throttled per email and per client IP (429 with
    `Retry-After`).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]

    @extend_schema(
        request=PasswordResetRequestSerializer,
        responses={
            202: None,
            429: OpenApiResponse(description="Too many attempts; retry after `Retry-After` s."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = PasswordResetForm(data=serializer.validated_data)
        if form.is_valid():
            form.save(request=request._request, use_https=request.is_secure())
        detail = "If this email belongs to an account here, a password link is on its way."
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    """Choose a new password with the `uid` and `token` of an emailed link (works once).

    **Permissions:** anyone; the link is the proof. Attempts are throttled per link's user
    (`uid`) and per client IP (429 with `Retry-After`).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]
    throttle_account_field = "uid"

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={
            200: None,
            400: OpenApiResponse(description="Bad link or weak password."),
            429: OpenApiResponse(description="Too many attempts; retry after `Retry-After` s."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        access.user_password_reset(
            uidb64=data["uid"],
            token=data["token"],
            new_password=data["new_password"],
            tenant=getattr(request._request, "tenant", None),
            ip=client_ip(request),
        )
        return Response({"detail": "Password set; sign in with it."})

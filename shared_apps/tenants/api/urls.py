"""Routes under /api/tenants/ on the base domain."""

from django.urls import path

from shared_apps.tenants.api import views

urlpatterns = [
    path("", views.TenantListCreateView.as_view(), name="tenant-list"),
    path("<slug:slug>/", views.TenantDetailView.as_view(), name="tenant-detail"),
    path("<slug:slug>/retry/", views.TenantRetryView.as_view(), name="tenant-retry"),
]

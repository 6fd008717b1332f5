"""Checks of the Helm chart in helm/devcontext: lint, schema validation, and rendered manifests.

Nothing here needs a database or a cluster: `helm lint --strict` and `helm template` run the
chart locally, and kubernetes-validate checks the output against the Kubernetes OpenAPI schemas
it ships (so no network either, once helm/scripts/get-helm.sh has cached the helm binary).
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.helm

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "helm" / "devcontext"
PRODUCTION_VALUES = REPO_ROOT / "helm" / "values-production.yaml"
# Validate against the Kubernetes the chart targets (GKE's regular channel); the chart needs
# >= 1.29 for native sidecars. kubernetes-validate ships schemas for 1.25 onwards.
KUBE_VERSION = "1.32.0"
RELEASE = "devcontext"

VALUE_SETS = {
    "default": [],
    "production": ["--values", str(PRODUCTION_VALUES)],
}
# A value that breaks the chart: replicas must be an integer.
BROKEN = ["--set", "web.replicaCount=notanumber"]


def helm(helm_bin: str, helm_env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [helm_bin, *args], env=helm_env, capture_output=True, text=True, timeout=60, check=False
    )


def helm_template(helm_bin: str, helm_env: dict, *args: str) -> subprocess.CompletedProcess:
    return helm(
        helm_bin, helm_env, "template", RELEASE, str(CHART), "--kube-version", KUBE_VERSION, *args
    )


def kubernetes_validate(manifests: str) -> subprocess.CompletedProcess:
    """Pipe rendered manifests into `kubernetes-validate --strict` (rejects unknown fields)."""
    return subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet",
         "--kubernetes-version", KUBE_VERSION, "-"],
        input=manifests, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def rendered(request, helm_bin, helm_env) -> tuple[str, str]:
    """Return (value set name, `helm template` output) for each values file."""
    result = helm_template(helm_bin, helm_env, *VALUE_SETS[request.param])
    assert result.returncode == 0, result.stderr
    return request.param, result.stdout


def documents(manifests: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(manifests) if doc]


def of_kind(manifests: str, kind: str) -> list[dict]:
    return [doc for doc in documents(manifests) if doc["kind"] == kind]


def pod_specs(manifests: str) -> Iterator[tuple[str, dict]]:
    for doc in documents(manifests):
        if doc["kind"] in {"Deployment", "Job"}:
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def all_containers(pod_spec: dict) -> list[dict]:
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


def by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


def deployments_by_name(manifests: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in of_kind(manifests, "Deployment")}


# --- lint and schema validation ----------------------------------------------------------------


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_helm_lint_strict_passes(helm_bin, helm_env, value_set):
    result = helm(
        helm_bin, helm_env, "lint", "--strict", str(CHART),
        "--kube-version", KUBE_VERSION, *VALUE_SETS[value_set],
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_manifests_pass_kubernetes_validate_strict(rendered):
    _, manifests = rendered
    result = kubernetes_validate(manifests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout


def test_broken_value_fails_helm_lint(helm_bin, helm_env):
    result = helm(helm_bin, helm_env, "lint", "--strict", str(CHART), *BROKEN)
    assert result.returncode != 0
    assert "web.replicaCount" in result.stdout + result.stderr


def test_broken_value_fails_kubernetes_validate_even_past_the_values_schema(helm_bin, helm_env):
    # The second gate alone: skip values.schema.json so the bad value reaches the manifest.
    rendered = helm_template(helm_bin, helm_env, "--skip-schema-validation", *BROKEN)
    assert rendered.returncode == 0, rendered.stderr
    assert "replicas: notanumber" in rendered.stdout

    result = kubernetes_validate(rendered.stdout)

    assert result.returncode != 0
    assert "deployment/devcontext-web" in result.stdout
    assert "spec.replicas" in result.stdout


def test_unknown_manifest_field_fails_strict_validation(helm_bin, helm_env):
    probe = '{"httpGet": {"path": "/readyz", "port": "http"}, "periodSecond": 10}'
    rendered = helm_template(helm_bin, helm_env, "--set-json", f"web.readinessProbe={probe}")
    assert rendered.returncode == 0, rendered.stderr

    result = kubernetes_validate(rendered.stdout)

    assert result.returncode != 0
    assert "periodSecond" in result.stdout


def test_missing_base_domain_fails_rendering(helm_bin, helm_env):
    result = helm_template(helm_bin, helm_env, "--set", "config.baseDomain=")
    assert result.returncode != 0
    assert "baseDomain" in result.stderr


# --- migration hook --------------------------------------------------------------------------


def test_migration_job_is_a_pre_install_pre_upgrade_hook_that_fails_fast(rendered):
    _, manifests = rendered
    (job,) = of_kind(manifests, "Job")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    assert "helm.sh/hook-weight" in annotations
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_migration_job_migrates_shared_then_fleet_as_the_owner_role(rendered):
    value_set, manifests = rendered
    (job,) = of_kind(manifests, "Job")
    container = by_name(job["spec"]["template"]["spec"]["containers"])["migrations"]
    script = " ".join(container["command"])
    shared = script.index("python manage.py migrate_schemas --shared")
    fleet = script.index("migrate_schemas --executor parallel --workers")
    assert shared < fleet
    assert "&&" in script[shared:fleet]  # a failed shared migration stops before the fleet
    roles = script.index("python manage.py setup_db_roles")  # tenant roles before new code
    assert shared < roles < fleet
    assert ("--backup" in script) == (value_set == "production")

    env = by_name(container["env"])
    assert env["DJANGO_DB_ROLE"]["value"] == "owner"
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL"):
        assert env[name]["valueFrom"]["secretKeyRef"]["key"] == name


def test_migration_job_service_account_exists_before_the_job(rendered):
    _, manifests = rendered
    (job,) = of_kind(manifests, "Job")
    account = job["spec"]["template"]["spec"]["serviceAccountName"]
    hook_accounts = {
        doc["metadata"]["name"]: doc["metadata"].get("annotations", {})
        for doc in of_kind(manifests, "ServiceAccount")
    }
    # On first install the release's resources do not exist yet when hooks run.
    assert hook_accounts[account]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(hook_accounts[account]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )


# --- ingress ---------------------------------------------------------------------------------


def test_ingress_serves_base_domain_and_wildcard_tenant_hosts(rendered):
    value_set, manifests = rendered
    (ingress,) = of_kind(manifests, "Ingress")
    base = "devcontext.example.com"
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == [base, f"*.{base}"]
    (tls,) = ingress["spec"]["tls"]
    assert set(tls["hosts"]) == {base, f"*.{base}"}
    expected_secret = "devcontext-wildcard-tls" if value_set == "production" else "devcontext-tls"
    assert tls["secretName"] == expected_secret


# --- pods ------------------------------------------------------------------------------------


def test_no_pod_or_container_runs_as_root(rendered):
    _, manifests = rendered
    specs = dict(pod_specs(manifests))
    assert specs, "no pods rendered"
    for name, spec in specs.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod.get("runAsUser", 1) != 0, name
        for container in all_containers(spec):
            where = f"{name}/{container['name']}"
            context = container["securityContext"]
            assert context.get("runAsNonRoot", pod["runAsNonRoot"]) is True, where
            assert context.get("runAsUser", pod.get("runAsUser", 1)) != 0, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where


def test_pods_get_a_writable_tmp_on_a_read_only_root(rendered):
    _, manifests = rendered
    for name, spec in pod_specs(manifests):
        assert "emptyDir" in by_name(spec["volumes"])["tmp"], name
        mounts = by_name(spec["containers"][0]["volumeMounts"])
        assert mounts["tmp"]["mountPath"] == "/tmp", name


def test_every_deployment_container_has_probes_and_resources(rendered):
    _, manifests = rendered
    deployments = of_kind(manifests, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} == {"devcontext-web", "devcontext-worker"}
    for deployment in deployments:
        for container in all_containers(deployment["spec"]["template"]["spec"]):
            where = f"{deployment['metadata']['name']}/{container['name']}"
            assert container.get("readinessProbe"), where
            assert container.get("livenessProbe"), where
            assert container["resources"]["requests"], where
            assert container["resources"]["limits"]["memory"], where


def test_web_runs_gunicorn_with_health_probes(rendered):
    _, manifests = rendered
    web = deployments_by_name(manifests)["devcontext-web"]
    container = by_name(web["spec"]["template"]["spec"]["containers"])["web"]
    assert container["command"][:2] == ["gunicorn", "config.wsgi:application"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]


def test_worker_concurrency_and_max_tasks_per_child_come_from_values(helm_bin, helm_env):
    result = helm_template(
        helm_bin, helm_env, "--set", "worker.concurrency=7", "--set", "worker.maxTasksPerChild=50"
    )
    assert result.returncode == 0, result.stderr
    worker = deployments_by_name(result.stdout)["devcontext-worker"]
    command = worker["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:4] == ["celery", "-A", "config.celery_app", "worker"]
    assert "--concurrency=7" in command
    assert "--max-tasks-per-child=50" in command


def test_secrets_are_references_to_existing_secrets_and_web_lacks_the_owner_role(rendered):
    _, manifests = rendered
    assert not of_kind(manifests, "Secret"), "the chart must not carry secret values"
    deployments = deployments_by_name(manifests)
    web, worker = deployments["devcontext-web"], deployments["devcontext-worker"]
    web_env = by_name(web["spec"]["template"]["spec"]["containers"][0]["env"])
    worker_env = by_name(worker["spec"]["template"]["spec"]["containers"][0]["env"])
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        assert web_env[name]["valueFrom"]["secretKeyRef"]["key"] == name
        assert worker_env[name]["valueFrom"]["secretKeyRef"]["key"] == name
    assert "DATABASE_OWNER_URL" not in web_env
    # gunicorn and celery default to the application role; only manage.py defaults to owner.
    assert "DJANGO_DB_ROLE" not in web_env
    assert "DJANGO_DB_ROLE" not in worker_env
    assert worker_env["DATABASE_OWNER_URL"]["valueFrom"]["secretKeyRef"]["key"] == (
        "DATABASE_OWNER_URL"
    )


def test_config_map_carries_the_non_secret_settings(rendered):
    _, manifests = rendered
    (config_map,) = of_kind(manifests, "ConfigMap")
    data = config_map["data"]
    assert data["TENANT_BASE_DOMAIN"] == "devcontext.example.com"
    assert data["ALLOWED_HOSTS"] == "devcontext.example.com,.devcontext.example.com"
    assert data["DEBUG"] == "False"
    for key in ("MIGRATOR_WORKERS", "MIGRATOR_LOCK_TIMEOUT", "MIGRATOR_STATEMENT_TIMEOUT"):
        assert data[key], key


# --- production extras -------------------------------------------------------------------------


def test_production_autoscales_web_and_worker_with_autoscaling_v2(helm_bin, helm_env):
    manifests = helm_template(helm_bin, helm_env, *VALUE_SETS["production"]).stdout
    hpas = of_kind(manifests, "HorizontalPodAutoscaler")
    assert {hpa["apiVersion"] for hpa in hpas} == {"autoscaling/v2"}
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas} == {
        "devcontext-web",
        "devcontext-worker",
    }
    # Under an HPA the Deployment must not pin replicas, or every upgrade resets the scale.
    for deployment in of_kind(manifests, "Deployment"):
        assert "replicas" not in deployment["spec"]


def test_production_cloud_sql_proxy_is_a_native_sidecar_in_every_pod(helm_bin, helm_env):
    manifests = helm_template(helm_bin, helm_env, *VALUE_SETS["production"]).stdout
    specs = dict(pod_specs(manifests))
    assert len(specs) == 3
    for name, spec in specs.items():
        proxy = by_name(spec.get("initContainers", [])).get("cloud-sql-proxy")
        assert proxy, name
        # restartPolicy Always makes it a sidecar: it does not keep the Job from completing.
        assert proxy["restartPolicy"] == "Always", name

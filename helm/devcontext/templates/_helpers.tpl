{{/*
Chart name, truncated to the 63 characters a DNS label allows.
*/}}
{{- define "devcontext.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: "<release>-<chart>" unless the release name already contains the chart name.
*/}}
{{- define "devcontext.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "devcontext.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "devcontext.labels" -}}
helm.sh/chart: {{ include "devcontext.chart" . }}
{{ include "devcontext.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: devcontext
{{- end }}

{{- define "devcontext.selectorLabels" -}}
app.kubernetes.io/name: {{ include "devcontext.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one component (web, worker, migrations): call with (dict "ctx" $ "component" "web").
*/}}
{{- define "devcontext.componentLabels" -}}
{{ include "devcontext.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "devcontext.componentSelectorLabels" -}}
{{ include "devcontext.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "devcontext.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "devcontext.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The migration Job runs before the release's own ServiceAccount exists (pre-install), so it gets
its own hook ServiceAccount when the chart creates one.
*/}}
{{- define "devcontext.migrationsServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- printf "%s-migrations" (include "devcontext.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- include "devcontext.serviceAccountName" . }}
{{- end }}
{{- end }}

{{- define "devcontext.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{- define "devcontext.baseDomain" -}}
{{- required "config.baseDomain is required (tenants are <slug>.<baseDomain>)" .Values.config.baseDomain | lower }}
{{- end }}

{{/*
Non-secret settings as a flat map: the ConfigMap's data and the migration Job's env (the Job
cannot use the ConfigMap: hooks run before the release's resources exist on first install).
*/}}
{{- define "devcontext.configData" -}}
{{- $base := include "devcontext.baseDomain" . }}
{{- $hosts := .Values.config.allowedHosts | default (list $base (printf ".%s" $base)) }}
DJANGO_SETTINGS_MODULE: config.settings
DEBUG: {{ ternary "True" "False" .Values.config.debug | quote }}
TENANT_BASE_DOMAIN: {{ $base | quote }}
ALLOWED_HOSTS: {{ join "," $hosts | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
CONN_MAX_AGE: {{ .Values.config.connMaxAge | quote }}
MIGRATOR_WORKERS: {{ .Values.config.migrator.workers | quote }}
MIGRATOR_LOCK_TIMEOUT: {{ .Values.config.migrator.lockTimeout | quote }}
MIGRATOR_STATEMENT_TIMEOUT: {{ .Values.config.migrator.statementTimeout | quote }}
BACKUP_DIR: {{ .Values.config.backupDir | quote }}
{{- range $key, $value := .Values.config.extra }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{- define "devcontext.secretEnvVar" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "secrets.%s.name is required" .value) .ref.name | quote }}
      key: {{ required (printf "secrets.%s.key is required" .value) .ref.key | quote }}
{{- end }}

{{/*
Secret env vars and the database role. Call with (dict "ctx" $ "owner" true|false "role" "app"|"owner"):
owner adds DATABASE_OWNER_URL; DJANGO_DB_ROLE picks which URL is Django's default connection
(config/settings.py). "app" is left unset on purpose: it is already the default of gunicorn and
celery, while manage.py defaults to "owner", so `kubectl exec ... python manage.py` in a worker
pod runs operator commands as the owner role.
*/}}
{{- define "devcontext.secretEnv" -}}
{{- $s := .ctx.Values.secrets }}
{{- if eq .role "owner" }}
- name: DJANGO_DB_ROLE
  value: "owner"
{{- end }}
{{ include "devcontext.secretEnvVar" (dict "env" "DATABASE_URL" "ref" $s.databaseUrl "value" "databaseUrl") }}
{{- if .owner }}
{{ include "devcontext.secretEnvVar" (dict "env" "DATABASE_OWNER_URL" "ref" $s.databaseOwnerUrl "value" "databaseOwnerUrl") }}
{{- end }}
{{ include "devcontext.secretEnvVar" (dict "env" "REDIS_URL" "ref" $s.redisUrl "value" "redisUrl") }}
{{ include "devcontext.secretEnvVar" (dict "env" "SECRET_KEY" "ref" $s.secretKey "value" "secretKey") }}
{{- with .ctx.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Volumes shared by every pod: a writable /tmp (the root filesystem is read-only).
*/}}
{{- define "devcontext.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- end }}

{{- define "devcontext.backupVolume" -}}
- name: backups
  {{- if .Values.backup.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.backup.existingClaim }}
  {{- else }}
  emptyDir:
    {{- with .Values.backup.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
  {{- end }}
{{- end }}

{{/*
Cloud SQL Auth Proxy as a native sidecar (init container with restartPolicy Always).
*/}}
{{- define "devcontext.cloudSqlProxy" -}}
{{- $p := .Values.cloudSqlProxy -}}
- name: cloud-sql-proxy
  image: "{{ $p.image.repository }}:{{ $p.image.tag }}"
  imagePullPolicy: {{ $p.image.pullPolicy }}
  restartPolicy: Always
  args:
    - "--port={{ $p.port }}"
    - "--address=127.0.0.1"
    - "--structured-logs"
    - "--exit-zero-on-sigterm"
    - "--health-check"
    - "--http-address=0.0.0.0"
    - "--http-port={{ $p.healthPort }}"
    {{- if $p.privateIp }}
    - "--private-ip"
    {{- end }}
    {{- if $p.autoIamAuthn }}
    - "--auto-iam-authn"
    {{- end }}
    {{- range $p.extraArgs }}
    - {{ . | quote }}
    {{- end }}
    - {{ required "cloudSqlProxy.instanceConnectionName is required when cloudSqlProxy.enabled" $p.instanceConnectionName | quote }}
  ports:
    - name: proxy-health
      containerPort: {{ $p.healthPort }}
      protocol: TCP
  startupProbe:
    httpGet:
      path: /startup
      port: proxy-health
    periodSeconds: 1
    timeoutSeconds: 5
    failureThreshold: 60
  readinessProbe:
    httpGet:
      path: /readiness
      port: proxy-health
    periodSeconds: 10
    timeoutSeconds: 5
    failureThreshold: 3
  livenessProbe:
    httpGet:
      path: /liveness
      port: proxy-health
    periodSeconds: 10
    timeoutSeconds: 5
    failureThreshold: 3
  resources:
    {{- toYaml $p.resources | nindent 4 }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
{{- end }}

{{/*
Pod annotations that roll web and worker pods when the non-secret settings change.
*/}}
{{- define "devcontext.podAnnotations" -}}
checksum/config: {{ include "devcontext.configData" . | trim | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

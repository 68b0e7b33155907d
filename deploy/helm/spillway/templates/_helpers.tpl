{{/* Chart name, overridable. */}}
{{- define "spillway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Release-scoped base name. Object names append "-control-plane" / "-node" (14 characters at most), so the base is
cut to 48 characters to keep every name within the 63-character DNS label limit.
*/}}
{{- define "spillway.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 48 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 48 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 48 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "spillway.controlPlane.fullname" -}}
{{- printf "%s-control-plane" (include "spillway.fullname" .) -}}
{{- end -}}

{{- define "spillway.node.fullname" -}}
{{- printf "%s-node" (include "spillway.fullname" .) -}}
{{- end -}}

{{- define "spillway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "spillway.labels" -}}
helm.sh/chart: {{ include "spillway.chart" . }}
app.kubernetes.io/name: {{ include "spillway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: spillway
{{- end -}}

{{/* Selector labels of one component; call with (dict "ctx" $ "component" "node"). Immutable once installed. */}}
{{- define "spillway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spillway.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "spillway.componentLabels" -}}
{{ include "spillway.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "spillway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "spillway.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference; call with (dict "ctx" $ "image" .Values.node.image). */}}
{{- define "spillway.image" -}}
{{- $registry := .ctx.Values.image.registry | default "spillway" | trimSuffix "/" -}}
{{- $repo := printf "%s/%s" $registry .image.repository -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (.image.tag | default .ctx.Values.image.tag | default .ctx.Chart.AppVersion | toString) -}}
{{- end -}}
{{- end -}}

{{/* The Secret with admin-token, secret-key, node-token (and oidc-client-secret). */}}
{{- define "spillway.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "spillway.fullname" .) -}}
{{- end -}}

{{/* Whether the chart creates its own Secret: for the app secrets, the db password, or both. */}}
{{- define "spillway.createSecret" -}}
{{- if or (not .Values.secrets.existingSecret) (and (not .Values.db.existingSecret) .Values.db.password) -}}
true
{{- end -}}
{{- end -}}

{{/* The Secret and key holding the database password. */}}
{{- define "spillway.dbPasswordSecretName" -}}
{{- .Values.db.existingSecret | default (include "spillway.fullname" .) -}}
{{- end -}}

{{- define "spillway.dbPasswordSecretKey" -}}
{{- if .Values.db.existingSecret -}}
{{- .Values.db.existingSecretPasswordKey -}}
{{- else -}}
db-password
{{- end -}}
{{- end -}}

{{/* Where nodes poll for snapshots. */}}
{{- define "spillway.controlPlaneUrl" -}}
{{- if .Values.node.controlPlaneUrl -}}
{{- .Values.node.controlPlaneUrl -}}
{{- else -}}
{{- printf "http://%s:%v" (include "spillway.controlPlane.fullname" .) .Values.controlPlane.service.port -}}
{{- end -}}
{{- end -}}

{{/*
Fails the render with a clear message on settings that would only break at run time. Included by every template
that depends on them, so `helm template` and `helm install` both stop early.
*/}}
{{- define "spillway.validate" -}}
{{- if not .Values.db.url -}}
{{- fail "db.url is required: the JDBC URL of a PostgreSQL with pgvector, e.g. jdbc:postgresql://db:5432/spillway" -}}
{{- end -}}
{{- if not (hasPrefix "jdbc:postgresql:" .Values.db.url) -}}
{{- fail (printf "db.url must start with jdbc:postgresql: (got %q)" .Values.db.url) -}}
{{- end -}}
{{- if and (not .Values.db.existingSecret) (not .Values.db.password) -}}
{{- fail "set db.password or db.existingSecret (a Secret with the database password under db.existingSecretPasswordKey)" -}}
{{- end -}}
{{- if not .Values.secrets.existingSecret -}}
{{- if not .Values.secrets.adminToken -}}
{{- fail "set secrets.adminToken (openssl rand -hex 32) or secrets.existingSecret" -}}
{{- end -}}
{{- if not (regexMatch "^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=?|[A-Za-z0-9_-]{43}=?)$" (.Values.secrets.secretKey | toString)) -}}
{{- fail "secrets.secretKey must be 32 random bytes as base64 (openssl rand -base64 32) or 64 hex characters; or use secrets.existingSecret" -}}
{{- end -}}
{{- if lt (len (.Values.secrets.nodeToken | toString)) 16 -}}
{{- fail "secrets.nodeToken must be at least 16 characters (openssl rand -hex 32); or use secrets.existingSecret" -}}
{{- end -}}
{{- end -}}
{{- if ge (int .Values.node.preStopSleepSeconds) (int .Values.node.terminationGracePeriodSeconds) -}}
{{- fail "node.preStopSleepSeconds must be shorter than node.terminationGracePeriodSeconds, or the JVM never gets SIGTERM in time to shut down cleanly" -}}
{{- end -}}
{{- if eq (int .Values.node.adminPort) (int .Values.node.port) -}}
{{- fail "node.adminPort must differ from node.port: /metrics is kept off the gateway port" -}}
{{- end -}}
{{- if eq (int .Values.controlPlane.adminPort) (int .Values.controlPlane.port) -}}
{{- fail "controlPlane.adminPort must differ from controlPlane.port: /metrics is kept off the admin API port" -}}
{{- end -}}
{{- if and .Values.controlPlane.ingress.enabled (not .Values.controlPlane.ingress.host) -}}
{{- fail "controlPlane.ingress.host is required when controlPlane.ingress.enabled is true" -}}
{{- end -}}
{{- if and .Values.node.ingress.enabled (not .Values.node.ingress.host) -}}
{{- fail "node.ingress.host is required when node.ingress.enabled is true" -}}
{{- end -}}
{{- end -}}

{{/* Writable scratch space for the JVM (hsperfdata, Tomcat work dir, Netty's native library) under a read-only root. */}}
{{- define "spillway.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

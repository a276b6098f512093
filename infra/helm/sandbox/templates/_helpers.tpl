{{/* The release's resource name prefix: the release name, or release-chart when they differ. */}}
{{- define "sandbox.fullname" -}}
{{- if eq .Release.Name .Chart.Name -}}
{{ .Release.Name }}
{{- else -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "sandbox.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* Labels selecting the API pods. */}}
{{- define "sandbox.apiSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end -}}

{{/* The one platform image, for the API, the migration and the Ray nodes alike. */}}
{{- define "sandbox.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The RayCluster's name; KubeRay names its head service <name>-head-svc. */}}
{{- define "sandbox.rayCluster" -}}
{{ include "sandbox.fullname" . }}-ray
{{- end -}}

{{/* The address the API joins: the head service's GCS port. */}}
{{- define "sandbox.rayAddress" -}}
{{ include "sandbox.rayCluster" . }}-head-svc:{{ .Values.ray.ports.gcs }}
{{- end -}}

{{/* The platform's secret settings, each from the operator's Secret. */}}
{{- define "sandbox.secretEnv" -}}
- name: SANDBOX_RAY_AUTH_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.ray.authSecret }}
      key: auth_token
{{- $secret := .Values.secrets.name }}
{{- range $name, $ref := .Values.secrets.keys }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $ref.key }}
      optional: {{ $ref.optional | default false }}
{{- end }}
{{- end -}}

{{/* Ray's own token authentication, for `ray start` on the head and the workers. */}}
{{- define "sandbox.rayAuthEnv" -}}
- name: RAY_AUTH_MODE
  value: token
- name: RAY_AUTH_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.ray.authSecret }}
      key: auth_token
- name: RAY_USAGE_STATS_ENABLED
  value: "0"
{{- end -}}

{{/* The pod-level security context of every platform pod: the image's unprivileged user. */}}
{{- define "sandbox.podSecurity" -}}
runAsUser: 10001
runAsGroup: 10001
runAsNonRoot: true
fsGroup: 10001
{{- end -}}

{{/* A container that starts no sandbox: nothing beyond the runtime's defaults. */}}
{{- define "sandbox.restrictedContainer" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* A container that runs jobs in bubblewrap: no capability and no privilege escalation, but
seccomp and AppArmor unconfined for bwrap's namespaces and mounts, and an unmasked /proc for
the job's own. Its pod runs in a user namespace of its own (hostUsers: false). */}}
{{- define "sandbox.bwrapContainer" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: Unconfined
appArmorProfile:
  type: Unconfined
procMount: Unmasked
{{- end -}}


{{/* The API container: /v1/ready probes bubblewrap here (namespaces and a bind mount, no /proc
and no job), so it needs seccomp and AppArmor unconfined but neither an unmasked /proc nor a
user namespace of its own, which would need idmapped mounts of its shared volume (NFS has
none). */}}
{{- define "sandbox.bwrapProbeContainer" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: Unconfined
appArmorProfile:
  type: Unconfined
{{- end -}}


{{/* The shared volume's claim: the operator's, or the chart's own. */}}
{{- define "sandbox.varClaim" -}}
{{ .Values.persistence.existingClaim | default (printf "%s-var" (include "sandbox.fullname" .)) }}
{{- end -}}

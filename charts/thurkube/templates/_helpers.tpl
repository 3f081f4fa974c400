{{/* Names, labels and the pieces both Deployments share. */}}

{{- define "thurkube.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-based name; "thurkube" for a release named thurkube, as the services' defaults expect. */}}
{{- define "thurkube.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "thurkube.admission" -}}{{ include "thurkube.fullname" . | trunc 53 | trimSuffix "-" }}-admission{{- end -}}
{{- define "thurkube.controller" -}}{{ include "thurkube.fullname" . | trunc 52 | trimSuffix "-" }}-controller{{- end -}}
{{- define "thurkube.certSecret" -}}{{ default (printf "%s-tls" (include "thurkube.admission" .)) .Values.certificates.secretName }}{{- end -}}

{{- define "thurkube.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "thurkube.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: thurkube
{{- end -}}

{{/* Selector labels of one component (admission or controller); never change on upgrade. */}}
{{- define "thurkube.selector" -}}
app.kubernetes.io/name: {{ include "thurkube.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "thurkube.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* The 8 kinds, as RBAC resources. */}}
{{- define "thurkube.kinds" -}}
[agentjobs, agentruntimes, agentauths, agentroles, agentskills, mcpservers, repositories, clusteraccesses]
{{- end -}}

{{/* What both pods share: security, volumes for the read-only root, scheduling. */}}
{{- define "thurkube.podCommon" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- if .root.Values.hostNetwork.enabled }}
hostNetwork: true
dnsPolicy: ClusterFirstWithHostNet
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

{{/* Where a service listens: 0.0.0.0:<pod port>, or with hostNetwork the node's bind address and port. */}}
{{- define "thurkube.listen" -}}
{{- if .root.Values.hostNetwork.enabled -}}
{{ .root.Values.hostNetwork.bindAddress }}:{{ .port }}
{{- else -}}
0.0.0.0:{{ .default }}
{{- end -}}
{{- end -}}

{{/* The API server's address for in-cluster clients (apiServer.host and .port), as env entries. */}}
{{- define "thurkube.apiServerEnv" -}}
- { name: KUBERNETES_SERVICE_HOST, value: {{ .Values.apiServer.host | quote }} }
- { name: KUBERNETES_SERVICE_PORT, value: {{ .Values.apiServer.port | toString | quote }} }
{{- end -}}

{{/*
  A probe's target: the named port, or with hostNetwork the node port (no container port is
  declared then). No probe `host`: Pod Security forbids it; the kubelet dials the pod's IP, which
  with hostNetwork is the node's address (so bindAddress must be one the node's address reaches).
*/}}
{{- define "thurkube.probeTarget" -}}
{{- if .root.Values.hostNetwork.enabled -}}
port: {{ .port }}
{{- else -}}
port: {{ .name }}
{{- end -}}
{{- end -}}

{{/* A webhook's clientConfig: by URL (out-of-cluster development) or by the admission Service. */}}
{{- define "thurkube.webhookClient" -}}
{{- if .root.Values.webhook.url -}}
url: {{ printf "%s%s" (trimSuffix "/" .root.Values.webhook.url) .path | quote }}
{{- else -}}
service:
  name: {{ include "thurkube.admission" .root }}
  namespace: {{ .root.Release.Namespace }}
  port: 443
  path: {{ .path }}
{{- end }}
{{- end }}

{{/* Metadata of both webhook configurations. */}}
{{- define "thurkube.webhookMetadata" -}}
name: {{ include "thurkube.admission" . }}
labels:
  {{- include "thurkube.labels" . | nindent 2 }}
  app.kubernetes.io/component: admission
{{- if eq .Values.certificates.mode "cert-manager" }}
annotations:
  # cert-manager's CA injector copies the Certificate's CA into every caBundle here.
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/{{ include "thurkube.admission" . }}
{{- end }}
{{- end }}

{{/* The Secret with the key that signs cluster-access authorizations, shared by both services. */}}
{{- define "thurkube.accessKeySecret" -}}
{{ include "thurkube.fullname" . }}-access-key
{{- end }}

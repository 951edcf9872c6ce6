{{/* Names, labels and the member address list shared by the templates. */}}

{{- define "tarn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name; kept short enough for "-headless" and pod ordinals. */}}
{{- define "tarn.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else if contains (include "tarn.name" .) .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "tarn.name" .) | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "tarn.headlessName" -}}
{{- printf "%s-headless" (include "tarn.fullname" .) }}
{{- end }}

{{- define "tarn.gatewayName" -}}
{{- printf "%s-gateway" (include "tarn.fullname" .) }}
{{- end }}

{{- define "tarn.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tarn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "tarn.metadataSelector" -}}
app.kubernetes.io/name: {{ include "tarn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: metadata
{{- end }}

{{- define "tarn.gatewaySelector" -}}
app.kubernetes.io/name: {{ include "tarn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "tarn.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "tarn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tarn.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tarn.clusterSecretName" -}}
{{- default (printf "%s-cluster" (include "tarn.fullname" .)) .Values.clusterSecret.existingSecret }}
{{- end }}

{{- define "tarn.adminSecretName" -}}
{{- default (printf "%s-admin" (include "tarn.fullname" .)) .Values.adminCredentials.existingSecret }}
{{- end }}

{{/* Raft majorities need an odd member count; fails the render with the reason otherwise. */}}
{{- define "tarn.validate" -}}
{{- $n := int .Values.replicas }}
{{- if lt $n 1 }}
{{- fail (printf "replicas must be an odd number of at least 1 (3 or 5 for production), got %v" .Values.replicas) }}
{{- end }}
{{- if eq (mod $n 2) 0 }}
{{- fail (printf "replicas must be odd (Raft needs a majority: use 3 or 5), got %d" $n) }}
{{- end }}
{{- if not (has .Values.podAntiAffinity (list "preferred" "required" "")) }}
{{- fail (printf "podAntiAffinity must be \"preferred\", \"required\" or \"\", got %q" .Values.podAntiAffinity) }}
{{- end }}
{{- end }}

{{/* One member's stable DNS name through the headless Service: NAME-I.NAME-headless.NS.svc */}}
{{- define "tarn.memberHost" -}}
{{- printf "%s-%d.%s.%s.svc" (include "tarn.fullname" .root) (int .index) (include "tarn.headlessName" .root) .root.Release.Namespace }}
{{- end }}

{{/* --peers: m0=HOST:PORT,m1=...; member ids are "m" and the pod ordinal. */}}
{{- define "tarn.peers" -}}
{{- $peers := list }}
{{- range $i := until (int .Values.replicas) }}
{{- $peers = append $peers (printf "m%d=%s:%d" $i (include "tarn.memberHost" (dict "root" $ "index" $i)) (int $.Values.metadata.grpcPort)) }}
{{- end }}
{{- join "," $peers }}
{{- end }}

{{/* --metadata for gateways (and TARN_ENDPOINT for clients): HOST:PORT of every member. */}}
{{- define "tarn.memberEndpoints" -}}
{{- $endpoints := list }}
{{- range $i := until (int .Values.replicas) }}
{{- $endpoints = append $endpoints (printf "%s:%d" (include "tarn.memberHost" (dict "root" $ "index" $i)) (int $.Values.metadata.grpcPort)) }}
{{- end }}
{{- join "," $endpoints }}
{{- end }}

{{/* Environment shared by members and gateways: the cluster secret and object-store settings. */}}
{{- define "tarn.commonEnv" -}}
- name: TARN_CLUSTER_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "tarn.clusterSecretName" . }}
      key: {{ .Values.clusterSecret.key }}
{{- range $name, $value := .Values.objectStore.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- with .Values.objectStore.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

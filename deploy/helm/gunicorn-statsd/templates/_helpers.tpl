{{/* Names and labels shared by every object of the chart. */}}

{{/* The objects' name: the release name, with the chart's name appended unless it is already in it. */}}
{{- define "gunicorn-statsd.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* What selects the pods: stable for the life of a release (a Deployment's selector cannot change). */}}
{{- define "gunicorn-statsd.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gunicorn-statsd.labels" -}}
{{ include "gunicorn-statsd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.app.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The seconds a pod may take to stop: the app's drain, then the exporter's wait for a last scrape, plus a margin to exit. */}}
{{- define "gunicorn-statsd.terminationGracePeriodSeconds" -}}
{{- add .Values.app.gracefulTimeoutSeconds .Values.exporter.finalScrapeWaitSeconds 5 -}}
{{- end -}}

// Every setting the app reads (cynare/bootstrap.py SETTINGS, README.md Configuration) and what the
// Functions host needs, set here as one whole: nothing is left to the portal. Secrets are Key Vault
// references, resolved by the platform with the app's identity. tests/infra/test_drift.py holds
// `appSettings` below to the code, so a setting the code starts reading fails the tests until it is set here.

param appName string
param hostName string
param storageName string
param insightsConnectionString string
param vaultUri string
param tablePrefix string
param inboundContainer string
param entities object
param firmName string
param importLocalTime string
param timeZone string
param importSchedule string
param syncSchedule string
param reconcileSchedule string
param xeroDayLimit int
param xeroDayReserve int
param reportMailbox string
param reportRecipients array
param reportEntityRecipients object
param reconcileTolerances string
param statusUrl string
param graphSignIn string
param graphClientId string
param teamsEnabled bool
param pagesEnabled bool
param xeroAppClientId string

var appRegistration = graphSignIn == 'appRegistration'
var pagesUrl = 'https://${hostName}'
var pagesRoot = '${pagesUrl}/api/pages'

// Versionless references: the app reads the newest version of a secret (within a day, or at once on restart).
var secrets = '${vaultUri}secrets'

var appSettings = {
  // The Functions host's own storage (timers, queue triggers, keys), signed in with the app's identity.
  AzureWebJobsStorage__accountName: storageName
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  // Cynare Link's own, in the order of cynare/bootstrap.py SETTINGS.
  CYNARE_STORAGE_CONNECTION: '' // a connection string is for the local emulator only: in Azure, the account name
  CYNARE_STORAGE_ACCOUNT: storageName
  CYNARE_TABLE_PREFIX: tablePrefix
  CYNARE_INBOUND_CONTAINER: inboundContainer
  CYNARE_IMPORT_SCHEDULE: importSchedule
  CYNARE_IMPORT_LOCAL_TIME: importLocalTime
  CYNARE_TIME_ZONE: timeZone
  CYNARE_ENTITIES: string(entities)
  CYNARE_TOKEN_KEY: '@Microsoft.KeyVault(SecretUri=${secrets}/cynare-token-key/)'
  CYNARE_XERO_URL: '' // Xero itself
  CYNARE_XERO_TIME_SCALE: '1'
  CYNARE_XERO_DAY_LIMIT: string(xeroDayLimit)
  CYNARE_XERO_DAY_RESERVE: string(xeroDayReserve)
  CYNARE_SYNC_SCHEDULE: syncSchedule
  CYNARE_RECONCILE_SCHEDULE: reconcileSchedule
  CYNARE_FIRM_NAME: firmName
  CYNARE_REPORT_MAILBOX: reportMailbox
  CYNARE_REPORT_RECIPIENTS: join(reportRecipients, ',')
  CYNARE_REPORT_ENTITY_RECIPIENTS: empty(reportEntityRecipients) ? '' : string(reportEntityRecipients)
  CYNARE_RECONCILE_TOLERANCES: reconcileTolerances
  CYNARE_STATUS_URL: !empty(statusUrl) ? statusUrl : (pagesEnabled ? '${pagesRoot}/status' : '')
  CYNARE_GRAPH_URL: '' // Microsoft Graph itself
  CYNARE_GRAPH_TENANT_ID: appRegistration ? tenant().tenantId : ''
  CYNARE_GRAPH_CLIENT_ID: appRegistration ? graphClientId : '' // empty: the system-assigned identity
  CYNARE_GRAPH_CLIENT_SECRET: appRegistration ? '@Microsoft.KeyVault(SecretUri=${secrets}/graph-client-secret/)' : ''
  CYNARE_TEAMS_WEBHOOK_URL: teamsEnabled ? '@Microsoft.KeyVault(SecretUri=${secrets}/teams-webhook-url/)' : ''
  CYNARE_PAGES_DEV_SIGN_IN: 'off' // the local development sign-in: never in Azure (the code refuses it there)
  CYNARE_XERO_CLIENT_ID: xeroAppClientId // the firm's Xero web app for the connect page; empty: custom connections only
  CYNARE_XERO_CLIENT_SECRET: empty(xeroAppClientId) ? '' : '@Microsoft.KeyVault(SecretUri=${secrets}/xero-app-client-secret/)'
  CYNARE_PAGES_URL: pagesEnabled ? pagesUrl : '' // Xero sends people back to <this>/api/pages/connect/callback
}

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

// This is the app settings config, not the web config: checkov reads the web config's properties on
// every Microsoft.Web/sites/config, and a property of that name here would only be a wrong app setting.
// (At most four comment lines in a row: checkov's Bicep parser refuses a fifth.)
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: not the web config (App Service Authentication: see CKV_AZURE_16 in function-app.bicep).
  // checkov:skip=CKV_AZURE_63: not the web config; Flex Consumption has no HTTP logs: requests go to Application Insights.
  // checkov:skip=CKV_AZURE_65: not the web config; Flex Consumption has no detailed error pages: failures go to Application Insights.
  // checkov:skip=CKV_AZURE_66: not the web config; Flex Consumption has no failed request tracing: failures go to Application Insights.
  parent: app
  // checkov:skip=CKV_AZURE_80: not the web config; the app runs Python, not .NET Framework.
  // checkov:skip=CKV_AZURE_88: not the web config; the app mounts no Azure Files share (Flex Consumption runs from its blob package).
  // checkov:skip=CKV_AZURE_222: not the web config; public network access is the site's (see function-app.bicep).
  name: 'appsettings'
  properties: appSettings
}

// Cynare Link for one firm, in the firm's own subscription: one command with a parameters file
// stands up everything, locked down by default (docs/deploy.md walks an IT admin through it).
//
//   az deployment group create --resource-group <group> --template-file infra/main.bicep \
//     --parameters infra/firm.bicepparam
//
// What it makes: the Functions app (Flex Consumption, Linux, Python 3.11, system-assigned identity),
// one storage account (no shared keys, versioned and soft-deleted blobs), Key Vault (RBAC, purge
// protection) for the secrets the app reads through Key Vault references, Application Insights on a
// Log Analytics workspace with alerts, least-privilege role assignments for the app and the agent,
// and, as an option, private networking.

targetScope = 'resourceGroup'

// ---- The firm ----------------------------------------------------------------------------------

@description('A short name for the firm, lower-case letters and digits only: it goes into every resource name, e.g. harrowvance.')
@minLength(2)
@maxLength(11)
param firm string

@description('The Azure region; the resource group\'s by default. It must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Tags put on every resource, e.g. {"cost-centre": "finance"}.')
param tags object = {}

@description('The firm as the reconciliation report names it (CYNARE_FIRM_NAME).')
param firmName string

@description('The firm\'s legal entities (CYNARE_ENTITIES): each with its base currency, the currencies its Xero organisation has and the PMS source systems that feed it. See README.md, Configuration.')
param entities object

// ---- The night ---------------------------------------------------------------------------------

@description('The firm\'s local time for the nightly import, HH:MM (CYNARE_IMPORT_LOCAL_TIME).')
param importLocalTime string = '01:30'

@description('The firm\'s time zone, an IANA name (CYNARE_TIME_ZONE).')
param timeZone string = 'Europe/London'

@description('6-field NCRONTAB in UTC firing at both UTC hours that can be importLocalTime in the firm\'s zone, summer and winter (CYNARE_IMPORT_SCHEDULE). 01:30 in London: 0 30 0,1 * * *.')
param importSchedule string = '0 30 0,1 * * *'

@description('NCRONTAB in UTC for the sync from Xero, after the night\'s posting (CYNARE_SYNC_SCHEDULE).')
param syncSchedule string = '0 0 5 * * *'

@description('NCRONTAB in UTC for the reconciliation, after the sync (CYNARE_RECONCILE_SCHEDULE).')
param reconcileSchedule string = '0 30 5 * * *'

@description('Xero calls a day per organisation: 5000, or 1000 on Xero\'s Starter tier (CYNARE_XERO_DAY_LIMIT).')
@allowed([1000, 5000])
param xeroDayLimit int = 5000

@description('Calls a day kept for the reconciliation\'s reads (CYNARE_XERO_DAY_RESERVE).')
param xeroDayReserve int = 200

@description('The prefix of the warehouse\'s table names (CYNARE_TABLE_PREFIX): lower-case letters and digits, starting with a letter.')
@minLength(3)
@maxLength(20)
param tablePrefix string = 'cynare'

// ---- The report --------------------------------------------------------------------------------

@description('The licensed Exchange Online mailbox the report is sent from (CYNARE_REPORT_MAILBOX).')
param reportMailbox string

@description('Who gets the whole report (CYNARE_REPORT_RECIPIENTS).')
param reportRecipients array

@description('Who gets each entity\'s own report, e.g. {"IE": ["ie-finance@firm.example"]} (CYNARE_REPORT_ENTITY_RECIPIENTS).')
param reportEntityRecipients object = {}

@description('Per currency, the largest client difference taken as exchange, e.g. EUR=0.02,USD=0.02 (CYNARE_RECONCILE_TOLERANCES).')
param reconcileTolerances string = ''

@description('The firm\'s status page, linked from the report and the Teams card (CYNARE_STATUS_URL).')
param statusUrl string = ''

@description('How the app signs in to Microsoft Graph to send the report: its managed identity (no secret), or an app registration with a secret in Key Vault.')
@allowed(['managedIdentity', 'appRegistration'])
param graphSignIn string = 'managedIdentity'

@description('With graphSignIn = appRegistration: the app registration\'s client id.')
param graphClientId string = ''

@description('The client id of the Entra app registration the firm\'s pages sign in with (docs/deploy.md, step 3). Empty: the pages stay closed.')
param pagesClientId string = ''

@description('The client id of the firm\'s Xero web app, for connecting entities from the pages (CYNARE_XERO_CLIENT_ID); its secret is xeroAppClientSecret. Empty: custom connections only.')
param xeroAppClientId string = ''

@description('Post the report to a Teams channel through a Workflows webhook (its URL lives in Key Vault).')
param teamsEnabled bool = true

// ---- Secrets: each is written to Key Vault when given, and kept as it is when left empty --------

@description('CYNARE_TOKEN_KEY, the base64 of 32 random bytes sealing the Xero connections\' secrets (`cynare token-key` prints one). Needed on the first deployment; never change it afterwards.')
@secure()
param tokenKey string = ''

@description('The Teams Workflows webhook URL (CYNARE_TEAMS_WEBHOOK_URL).')
@secure()
param teamsWebhookUrl string = ''

@description('With graphSignIn = appRegistration: the app registration\'s client secret.')
@secure()
param graphClientSecret string = ''

@description('Each entity\'s Xero custom connection client secret, e.g. {"UK": "..."}: kept in Key Vault as xero-<entity>-client-secret for `cynare connect`.')
@secure()
param xeroClientSecrets object = {}

@description('The Xero app\'s client secret, when the entities connect through one Xero app: kept as xero-app-client-secret.')
@secure()
param xeroAppClientSecret string = ''

// ---- Storage -----------------------------------------------------------------------------------

@description('Storage redundancy: geo-zone-redundant by default (three zones here, a copy in the paired region); GRS where the region has no zones.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
param storageSku string = 'Standard_GZRS'

@description('Days an uploaded batch (and its acknowledgements) stays in the inbound container after it was written.')
@minValue(30)
@maxValue(3650)
param batchRetentionDays int = 90

@description('Days a deleted blob or container can still be restored (soft delete).')
@minValue(7)
@maxValue(365)
param deletedRetentionDays int = 30

@description('Days an overwritten or deleted blob\'s earlier version is kept.')
@minValue(7)
@maxValue(3650)
param versionRetentionDays int = 90

// ---- Who may do what ---------------------------------------------------------------------------

@description('Object id of the agent\'s identity (its service principal, or the managed identity of an Azure Arc-enabled PMS server). Empty: no agent access yet.')
param agentPrincipalId string = ''

@description('Object id of the IT admin (or an admin group) who runs `cynare` commands and sets Key Vault secrets. Empty: nobody.')
param adminPrincipalId string = ''

@allowed(['User', 'Group', 'ServicePrincipal'])
param adminPrincipalType string = 'User'

// ---- Monitoring ----------------------------------------------------------------------------------

@description('Who is emailed when a night does not complete or a function fails.')
param alertEmails array = []

@description('Days logs are kept in the Log Analytics workspace.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

// ---- Scale -----------------------------------------------------------------------------------------

@description('The most instances the app scales out to (Flex Consumption allows 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

// ---- Network ---------------------------------------------------------------------------------------

@description('Private networking: the app joins a virtual network and reaches storage and Key Vault through private endpoints only.')
param privateNetworking bool = false

@description('With private networking: the virtual network\'s address space; pick one free in the firm\'s network if it will be peered or reached by VPN.')
param vnetAddressPrefix string = '10.60.0.0/24'

@description('With private networking: the subnet the app joins, inside vnetAddressPrefix.')
param appSubnetPrefix string = '10.60.0.0/25'

@description('With private networking: the subnet of the private endpoints, inside vnetAddressPrefix.')
param endpointSubnetPrefix string = '10.60.0.128/25'

@description('With private networking: the public addresses (CIDR) the agent reaches storage from, e.g. the office\'s outbound address. Empty: only through the virtual network (VPN or ExpressRoute).')
param agentIpRanges array = []

// ---- Names -----------------------------------------------------------------------------------------

var suffix = uniqueString(resourceGroup().id, firm)
var short = toLower(firm) // resource names take lower case only
var names = loadJsonContent('names.json')
var containers = names.containers
var containerNames = [for item in items(containers): replace(item.value, '{prefix}', tablePrefix)]
var tableNames = [for table in names.tables: '${tablePrefix}${table}']
var allTags = union(tags, { application: 'cynare-link', firm: short })
var storageName = take('stcyn${short}${suffix}', 24)
var vaultName = take('kv-cyn-${short}-${suffix}', 24)
var appName = 'func-cynare-${short}-${take(suffix, 6)}'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: allTags
    workspaceName: 'log-cynare-${short}-${take(suffix, 6)}'
    insightsName: 'appi-cynare-${short}-${take(suffix, 6)}'
    retentionDays: logRetentionDays
    alertEmails: alertEmails
    firm: short
  }
}

module network 'modules/network.bicep' = if (privateNetworking) {
  name: 'network'
  params: {
    location: location
    tags: allTags
    name: 'vnet-cynare-${short}-${take(suffix, 6)}'
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    endpointSubnetPrefix: endpointSubnetPrefix
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: allTags
    name: storageName
    sku: storageSku
    containerNames: containerNames
    queueNames: names.queues
    tableNames: tableNames
    inboundContainer: containers.inbound
    batchRetentionDays: batchRetentionDays
    deletedRetentionDays: deletedRetentionDays
    versionRetentionDays: versionRetentionDays
    privateNetworking: privateNetworking
    allowedIpRanges: agentIpRanges
    workspaceId: monitoring.outputs.workspaceId
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: allTags
    name: vaultName
    privateNetworking: privateNetworking
    workspaceId: monitoring.outputs.workspaceId
    tokenKey: tokenKey
    teamsWebhookUrl: teamsWebhookUrl
    graphClientSecret: graphClientSecret
    xeroClientSecrets: xeroClientSecrets
    xeroAppClientSecret: xeroAppClientSecret
  }
}

module privateEndpoints 'modules/private-endpoints.bicep' = if (privateNetworking) {
  name: 'private-endpoints'
  params: {
    location: location
    tags: allTags
    subnetId: privateNetworking ? network.outputs.endpointSubnetId : ''
    vnetId: privateNetworking ? network.outputs.vnetId : ''
    storageAccountId: storage.outputs.id
    vaultId: vault.outputs.id
  }
}

module app 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    tags: allTags
    name: appName
    planName: 'asp-cynare-${short}-${take(suffix, 6)}'
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${containers.deployment}'
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    subnetId: privateNetworking ? network.outputs.appSubnetId : ''
    pagesClientId: pagesClientId
    keyRoutes: ['/api/night', '/api/sync', '/api/reconcile']
  }
  // With private networking the app reaches its code package and storage through the endpoints only.
  dependsOn: [privateEndpoints]
}

module appRoles 'modules/app-roles.bicep' = {
  name: 'app-roles'
  params: {
    principalId: app.outputs.principalId
    storageName: storage.outputs.name
    vaultName: vault.outputs.name
    insightsName: monitoring.outputs.insightsName
    adminPrincipalId: adminPrincipalId
    adminPrincipalType: adminPrincipalType
  }
}

module agentRoles 'modules/agent-roles.bicep' = if (!empty(agentPrincipalId)) {
  name: 'agent-roles'
  params: {
    principalId: agentPrincipalId
    storageName: storage.outputs.name
    inboundContainer: containers.inbound
    writebackContainer: containers.writeback
  }
  dependsOn: [storage]
}

module settings 'modules/app-settings.bicep' = {
  name: 'app-settings'
  params: {
    appName: app.outputs.name
    hostName: app.outputs.hostName
    storageName: storage.outputs.name
    insightsConnectionString: monitoring.outputs.connectionString
    vaultUri: vault.outputs.uri
    tablePrefix: tablePrefix
    inboundContainer: containers.inbound
    entities: entities
    firmName: firmName
    importLocalTime: importLocalTime
    timeZone: timeZone
    importSchedule: importSchedule
    syncSchedule: syncSchedule
    reconcileSchedule: reconcileSchedule
    xeroDayLimit: xeroDayLimit
    xeroDayReserve: xeroDayReserve
    reportMailbox: reportMailbox
    reportRecipients: reportRecipients
    reportEntityRecipients: reportEntityRecipients
    reconcileTolerances: reconcileTolerances
    statusUrl: statusUrl
    graphSignIn: graphSignIn
    graphClientId: graphClientId
    teamsEnabled: teamsEnabled
    pagesEnabled: !empty(pagesClientId)
    xeroAppClientId: xeroAppClientId
  }
  // The app's identity may read storage and Key Vault before its settings send the host to them.
  dependsOn: [appRoles]
}

output functionAppName string = app.outputs.name
output functionAppHostName string = app.outputs.hostName
output functionAppPrincipalId string = app.outputs.principalId
output pagesUrl string = 'https://${app.outputs.hostName}/api/pages/'
output xeroRedirectUri string = 'https://${app.outputs.hostName}/api/pages/connect/callback'
output signInRedirectUri string = 'https://${app.outputs.hostName}/.auth/login/aad/callback'
output storageAccountName string = storage.outputs.name
output keyVaultName string = vault.outputs.name
output applicationInsightsName string = monitoring.outputs.insightsName
output containerNames array = containerNames
output tableNames array = tableNames
@description('The [storage] section of the agent\'s cynare-agent.toml for this deployment (fill in client_id and certificate_path).')
output agentStorageSection string = join([
  '[storage]'
  'inbound_container = "${containers.inbound}"'
  'writeback_container = "${containers.writeback}"'
  'account_url = "${storage.outputs.blobEndpoint}"'
  'tenant_id = "${tenant().tenantId}"'
  'client_id = "<the agent app registration\'s application (client) id>"'
  'certificate_path = "agent-cert.pem"'
], '\n')

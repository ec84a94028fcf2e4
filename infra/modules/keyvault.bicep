// Key Vault: Azure RBAC (no access policies), purge protection, and the secrets the app reads
// through Key Vault references. A secret is written only when its value is given, so deploying
// again without it keeps the one already there.

param location string
param tags object
param name string
param privateNetworking bool
param workspaceId string
@secure()
param tokenKey string
@secure()
param teamsWebhookUrl string
@secure()
param graphClientSecret string
@secure()
param xeroClientSecrets object
@secure()
param xeroAppClientSecret string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    // Without private networking the app resolves its Key Vault references from shared outbound
    // addresses, so the vault stays reachable; every read needs an Entra token and a role on it.
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
    // checkov:skip=CKV_AZURE_109: the firewall denies by default with privateNetworking; without it App Service resolves Key Vault references from shared outbound addresses, so the vault takes Entra-signed requests from anyone holding a role on it, and only the app and the admin do.
    // checkov:skip=CKV_AZURE_189: public network access is off with privateNetworking; without it, see CKV_AZURE_109.
  }
}

var xeroSecrets = [for entity in items(xeroClientSecrets): {
  name: 'xero-${replace(toLower(entity.key), '_', '-')}-client-secret'
  value: entity.value
  contentType: 'Xero custom connection client secret of entity ${entity.key}'
}]

var secrets = concat([
  { name: 'cynare-token-key', value: tokenKey, contentType: 'CYNARE_TOKEN_KEY: base64 of 32 random bytes' }
  { name: 'teams-webhook-url', value: teamsWebhookUrl, contentType: 'CYNARE_TEAMS_WEBHOOK_URL: a Workflows webhook URL' }
  { name: 'graph-client-secret', value: graphClientSecret, contentType: 'CYNARE_GRAPH_CLIENT_SECRET: an Entra client secret' }
  { name: 'xero-app-client-secret', value: xeroAppClientSecret, contentType: 'Xero app client secret' }
], xeroSecrets)

resource given 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in secrets: if (!empty(secret.value)) {
  parent: vault
  name: secret.name
  properties: {
    value: secret.value
    contentType: secret.contentType
    // checkov:skip=CKV_AZURE_41: the app reads these every night; an expiry date would stop the night without warning (the token key seals every Xero connection, so it never expires). Each is replaced where it is issued: Xero's portal, Power Automate, Entra ID (docs/deploy.md, Secrets).
  }
}]

resource vaultLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'vault-to-workspace'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri

// What the app's identity may do, on this deployment's resources only: the data in its storage
// account (blobs, queues, tables), the secrets in its vault, and sending telemetry. And, when one is
// named, what the IT admin may do to run `cynare` commands and set secrets.

param principalId string
param storageName string
param vaultName string
param insightsName string
param adminPrincipalId string
param adminPrincipalType string

// Built-in role definition ids (the same in every tenant).
var roles = {
  // The Functions host keeps its leases and keys in blobs: Microsoft documents Blob Data Owner as the
  // host storage role. The account has no hierarchical namespace, so Owner adds nothing over
  // Contributor but the ACL actions that only apply to such accounts.
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

var storageRoles = [roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor]

resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  name: guid(account.id, principalId, role)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    description: 'Cynare Link app: its own storage account'
  }
}]

resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    description: 'Cynare Link app: reads its Key Vault references'
  }
}

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, principalId, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    description: 'Cynare Link app: sends telemetry with its identity (local authentication is off)'
  }
}

var adminStorageRoles = [roles.blobDataContributor, roles.queueDataContributor, roles.tableDataContributor]

resource adminStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in (empty(adminPrincipalId) ? [] : adminStorageRoles): {
  name: guid(account.id, adminPrincipalId, role)
  scope: account
  properties: {
    principalId: adminPrincipalId
    principalType: adminPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    description: 'Cynare Link admin: runs cynare commands (connect, status, exceptions)'
  }
}]

resource adminSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(adminPrincipalId)) {
  name: guid(vault.id, adminPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: adminPrincipalId
    principalType: adminPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    description: 'Cynare Link admin: sets and rotates the secrets'
  }
}

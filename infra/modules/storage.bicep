// The storage account: Entra sign-in only (shared keys off), TLS 1.2, no anonymous access, and
// nothing uploaded lost: every blob versioned and soft-deleted, imported batches removed only after
// the retention the firm chose. It holds the containers, queues and tables the code uses (names.json).

param location string
param tags object
param name string
@description('The redundancy; main.bicep\'s storageSku.')
param sku string = 'Standard_GZRS'
param containerNames array
param queueNames array
param tableNames array
param inboundContainer string
param batchRetentionDays int
param deletedRetentionDays int
param versionRetentionDays int
param privateNetworking bool
param allowedIpRanges array
param workspaceId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: sku }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // With private networking the app comes through private endpoints, and the agent from the
    // addresses given (or through the firm's VPN); without it the app's outbound addresses are
    // shared and unknown, so the account stays reachable and every request needs an Entra token.
    publicNetworkAccess: privateNetworking && empty(allowedIpRanges) ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      ipRules: [for range in allowedIpRanges: { value: range, action: 'Allow' }]
    }
    // checkov:skip=CKV_AZURE_35: the firewall denies by default with privateNetworking; without it the Flex app's outbound addresses are shared and unknown, so the account takes Entra-signed requests only (shared keys off) from anywhere.
    encryption: {
      keySource: 'Microsoft.Storage'
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: deletedRetentionDays }
    containerDeleteRetentionPolicy: { enabled: true, days: deletedRetentionDays }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in containerNames: {
  parent: blobs
  name: container
  properties: { publicAccess: 'None' }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queueNames: {
  parent: queueService
  name: queue
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tableNames: {
  parent: tableService
  name: table
}]

// Batches are imported within the night; after the retention they go, with their acknowledgements
// and check probes. Earlier versions of any blob go after their own retention.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'imported-batches'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['${inboundContainer}/'] }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: batchRetentionDays } }
            }
          }
        }
        {
          name: 'earlier-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'] }
            actions: {
              version: { delete: { daysAfterCreationGreaterThan: versionRetentionDays } }
            }
          }
        }
      ]
    }
  }
}

// Who read, wrote or deleted what: the storage logs go to the workspace.
resource blobLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'storage-to-workspace'
  scope: blobs
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
  }
}

resource queueLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'storage-to-workspace'
  scope: queueService
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageRead', enabled: true }
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
  }
}

resource tableLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'storage-to-workspace'
  scope: tableService
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob

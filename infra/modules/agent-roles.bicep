// What the on-premises agent's identity may do, and nothing else: create blobs in `inbound` (never
// read, overwrite or delete them), and read, list and delete blobs in `writeback`. Each right is a
// custom role holding only those data actions, assigned on the one container it concerns; no
// built-in role is that narrow (Storage Blob Data Contributor also overwrites and deletes, and may
// delete the container itself).

param principalId string
param storageName string
param inboundContainer string
param writebackContainer string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource inbound 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobs
  name: inboundContainer
}

resource writeback 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobs
  name: writebackContainer
}

var blobActions = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs'

resource createOnly 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(account.id, 'cynare-agent-create-blobs')
  properties: {
    roleName: 'Cynare Link agent: create blobs (${storageName})'
    description: 'Creates new blobs (Put Blob, Put Block, Put Block List of a new blob); cannot read, overwrite or delete.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: []
        dataActions: ['${blobActions}/add/action']
      }
    ]
  }
}

resource readListDelete 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(account.id, 'cynare-agent-read-delete-blobs')
  properties: {
    roleName: 'Cynare Link agent: read, list and delete blobs (${storageName})'
    description: 'Lists, reads and deletes blobs; cannot create or change them.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: []
        dataActions: ['${blobActions}/read', '${blobActions}/delete']
      }
    ]
  }
}

resource agentInbound 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(inbound.id, principalId, createOnly.name)
  scope: inbound
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    // A role definition lives at the subscription, whatever scope created it.
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', createOnly.name)
    description: 'Cynare Link agent: uploads batches and acknowledgements to ${inboundContainer}'
  }
  dependsOn: [createOnly]
}

resource agentWriteback 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(writeback.id, principalId, readListDelete.name)
  scope: writeback
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readListDelete.name)
    description: 'Cynare Link agent: reads and deletes write-back documents in ${writebackContainer}'
  }
  dependsOn: [readListDelete]
}

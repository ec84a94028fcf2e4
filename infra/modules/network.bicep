// Private networking (optional): a virtual network with one subnet the app joins (delegated to
// Flex Consumption) and one for the private endpoints of storage and Key Vault. Both subnets refuse
// inbound traffic from the internet.

param location string
param tags object
param name string
param addressPrefix string
@description('The app\'s subnet, inside addressPrefix.')
param appSubnetPrefix string
@description('The private endpoints\' subnet, inside addressPrefix.')
param endpointSubnetPrefix string

resource appRules 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: '${name}-app-nsg'
  location: location
  tags: tags
  properties: { securityRules: [] } // the platform's defaults: no inbound from the internet
}

resource endpointRules 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: '${name}-endpoints-nsg'
  location: location
  tags: tags
  properties: { securityRules: [] }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          networkSecurityGroup: { id: appRules.id }
          delegations: [{ name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          networkSecurityGroup: { id: endpointRules.id }
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output appSubnetId string = vnet.properties.subnets[0].id
output endpointSubnetId string = vnet.properties.subnets[1].id

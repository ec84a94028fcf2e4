// The Functions app on the Flex Consumption plan: Linux, Python 3.11, a system-assigned identity,
// its code package in a blob container it reads with that identity. Its settings are app-settings.bicep's.

param location string
param tags object
param name string
param planName string
param deploymentContainerUrl string
param maximumInstanceCount int
param instanceMemoryMB int
param subnetId string
@description('The client id of the Entra app registration people sign in to the firm\'s pages with; empty: the pages stay closed.')
param pagesClientId string
@description('The HTTP routes an admin calls with a function key: App Service Authentication lets them through to the key check.')
param keyRoutes array

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: {
    reserved: true // Linux
    // checkov:skip=CKV_AZURE_225: zone redundancy on Flex Consumption is offered in some regions only and needs always-ready instances to matter; a night missed is caught up by the hourly import and the alert says so.
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // checkov:skip=CKV_AZURE_17: the only HTTP routes are an admin's POSTs, each needing its function key; client certificates would not let the firm's admins in from a browser or az rest.
    publicNetworkAccess: 'Enabled'
    // checkov:skip=CKV_AZURE_222: timers and queues need no inbound access, but code deployment (zip deploy) and the admin's on-demand POSTs come from outside; every HTTP route needs its function key.
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'python', version: '3.11' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      remoteDebuggingEnabled: false
      cors: { allowedOrigins: [] }
    }
    // checkov:skip=CKV_AZURE_16: people sign in to the pages through App Service Authentication (pagesSignIn below, authsettingsV2), which this check does not read; the admin routes keep their function keys.
    // checkov:skip=CKV_AZURE_212: Flex Consumption scales by events, from zero; instance counts are not set per app.
    // checkov:skip=CKV_AZURE_213: Flex Consumption has no health check setting; the night's health is the alert in monitoring.bicep.
  }
}

// No publishing with a user name and password: deployment signs in with Entra ID.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

// The firm's pages sign people in with Entra ID through App Service Authentication, which passes who
// they are (and their app role, Cynare.Admin or Cynare.Viewer) to the code. No client secret: the
// sign-in asks only for an ID token. The admin routes are left to their function keys.
// checkov reads the web config's properties on every Microsoft.Web/sites/config: these skips say why each does not apply.
resource pagesSignIn 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(pagesClientId)) {
  // checkov:skip=CKV_AZURE_13: this is App Service Authentication itself (authsettingsV2); the check reads the older siteAuthSettings only.
  // checkov:skip=CKV_AZURE_63: not the web config; Flex Consumption has no HTTP logs: requests go to Application Insights.
  // checkov:skip=CKV_AZURE_65: not the web config; Flex Consumption has no detailed error pages: failures go to Application Insights.
  // checkov:skip=CKV_AZURE_66: not the web config; Flex Consumption has no failed request tracing: failures go to Application Insights.
  parent: site
  // checkov:skip=CKV_AZURE_80: not the web config; the app runs Python, not .NET Framework.
  // checkov:skip=CKV_AZURE_88: not the web config; the app mounts no Azure Files share (Flex Consumption runs from its blob package).
  // checkov:skip=CKV_AZURE_222: not the web config; public network access is the site's (see the site above).
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: keyRoutes
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          clientId: pagesClientId
        }
        validation: { allowedAudiences: [pagesClientId, 'api://${pagesClientId}'] }
      }
    }
    login: { tokenStore: { enabled: false } }
    httpSettings: { requireHttps: true }
  }
}

output name string = site.name
output principalId string = site.identity.principalId
output hostName string = site.properties.defaultHostName

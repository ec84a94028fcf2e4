// Application Insights on a Log Analytics workspace, and the alerts that make a broken night visible
// from outside the deployment: the night did not complete, or a function failed.

param location string
param tags object
param workspaceName string
param insightsName string
param retentionDays int
param alertEmails array
param firm string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionDays
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: insightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    // Telemetry is accepted only with an Entra token: the app's identity holds Monitoring Metrics Publisher.
    DisableLocalAuth: true
  }
}

resource people 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmails)) {
  name: 'ag-cynare-${firm}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('cynare${firm}', 12)
    enabled: true
    emailReceivers: [for (address, i) in alertEmails: {
      name: 'email-${i}'
      emailAddress: address
      useCommonAlertSchema: true
    }]
  }
}

// The night ends with the reconciliation, which runs every day, balanced or not: a day without a
// successful run of it is a night that did not complete, whatever stopped it.
resource nightIncomplete 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'cynare-${firm}-night-did-not-complete'
  location: location
  tags: tags
  properties: {
    displayName: 'Cynare Link (${firm}): the night did not complete'
    description: 'No successful reconciliation in the last 26 hours: the night\'s import, posting, sync or report stopped. Look at the failures in Application Insights and at `cynare status`.'
    severity: 1
    enabled: true
    scopes: [insights.id]
    evaluationFrequency: 'PT1H'
    windowSize: 'P2D'
    criteria: {
      allOf: [
        {
          query: 'requests | where timestamp > ago(26h) | where name == "reconcile" and success == true | summarize completed = count()'
          timeAggregation: 'Total'
          metricMeasureColumn: 'completed'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: empty(alertEmails) ? [] : [people.id] }
  }
}

resource functionFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'cynare-${firm}-function-failed'
  location: location
  tags: tags
  properties: {
    displayName: 'Cynare Link (${firm}): a function failed'
    description: 'A function run failed (a posting message set aside, an import or sync that stopped). The run\'s exception is in Application Insights.'
    severity: 2
    enabled: true
    scopes: [insights.id]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'requests | where success == false | summarize failed = count()'
          timeAggregation: 'Total'
          metricMeasureColumn: 'failed'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: empty(alertEmails) ? [] : [people.id] }
  }
}

output workspaceId string = workspace.id
output insightsName string = insights.name
output connectionString string = insights.properties.ConnectionString

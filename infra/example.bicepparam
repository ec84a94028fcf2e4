// An example firm's parameters. Copy it to infra/<firm>.bicepparam, change what is marked, and deploy:
//
//   az deployment group create --resource-group rg-cynare-<firm> --template-file infra/main.bicep \
//     --parameters infra/<firm>.bicepparam
//
// Secrets are never written here: each is read from an environment variable of the shell that runs the
// deployment (empty keeps the value already in Key Vault). docs/deploy.md explains every step.
using 'main.bicep'

// ---- Change these ---------------------------------------------------------------------------------
param firm = 'harrowvance' // lower-case letters and digits, 2 to 11 characters
param firmName = 'Harrow Vance LLP'
param entities = {
  UK: { base_currency: 'GBP', currencies: ['GBP', 'EUR', 'USD'], sources: ['pms-1'] }
  IE: { base_currency: 'EUR', currencies: ['EUR', 'GBP'], sources: ['pms-1'] }
}
param reportMailbox = 'reconciliation@harrowvance.example'
param reportRecipients = ['finance@harrowvance.example']
param reportEntityRecipients = {
  IE: ['ie-finance@harrowvance.example']
}
param alertEmails = ['it-support@harrowvance.example']

// The agent's service principal (object id) and the admin who runs `cynare` commands (object id):
// `az ad sp show --id <agent app id> --query id -o tsv` and `az ad signed-in-user show --query id -o tsv`.
param agentPrincipalId = '00000000-0000-0000-0000-000000000000'
param adminPrincipalId = '00000000-0000-0000-0000-000000000000'

// After the first deployment (docs/deploy.md steps 3 and 5): the pages' sign-in and the Xero app.
param pagesClientId = ''
param xeroAppClientId = ''

// ---- Usually left as they are ---------------------------------------------------------------------
param importLocalTime = '01:30'
param timeZone = 'Europe/London'
param importSchedule = '0 30 0,1 * * *' // 01:30 in London is 00:30 UTC in summer and 01:30 UTC in winter
param syncSchedule = '0 0 5 * * *'
param reconcileSchedule = '0 30 5 * * *'
param xeroDayLimit = 5000 // 1000 if an organisation is on Xero's Starter tier
param reconcileTolerances = 'EUR=0.02,USD=0.02'
param storageSku = 'Standard_GZRS'
param batchRetentionDays = 90
param privateNetworking = false

// ---- Secrets, from the environment ----------------------------------------------------------------
param tokenKey = readEnvironmentVariable('CYNARE_TOKEN_KEY', '')
param teamsWebhookUrl = readEnvironmentVariable('CYNARE_TEAMS_WEBHOOK_URL', '')
param xeroAppClientSecret = readEnvironmentVariable('XERO_APP_CLIENT_SECRET', '')
param xeroClientSecrets = {
  UK: readEnvironmentVariable('XERO_UK_CLIENT_SECRET', '')
  IE: readEnvironmentVariable('XERO_IE_CLIENT_SECRET', '')
}

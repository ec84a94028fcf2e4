"""Microsoft Graph: the report's email sent as the firm's reporting mailbox (msgraph-sdk).

`sender.GraphMailSender` is the MailSender port; `cynare.adapters.graph_mail.graph_mail_sender` picks
its credential from the settings. Modules: credentials (managed identity, client secret, the local
stand-in's), session (the SDK client, its own retries off), compose (MailMessage to Graph's models),
upload (large attachments in ranges), failures (every error to DeliveryFailed).
"""

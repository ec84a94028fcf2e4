SELECT bank_code AS bank_account, xero_account_code FROM bank_accounts WHERE entity = :entity ORDER BY bank_code

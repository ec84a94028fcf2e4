SELECT nominal_code, xero_account_code FROM nominals WHERE entity = :entity ORDER BY nominal_code

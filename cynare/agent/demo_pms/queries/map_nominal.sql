-- Mappings are read whole every run; an empty Xero code is sent as it is (the cloud holds what uses it).
SELECT nominal_code, xero_account_code FROM nominals WHERE entity = :entity ORDER BY nominal_code

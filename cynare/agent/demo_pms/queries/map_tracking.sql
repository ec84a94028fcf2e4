SELECT dimension, code AS pms_value, xero_category, xero_option
FROM tracking WHERE entity = :entity ORDER BY dimension, code

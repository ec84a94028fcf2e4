-- The entity's Xero organisation as the PMS knows it: a check only (the cloud's settings choose the organisation).
SELECT entity, xero_organisation_name AS organisation_name, base_currency FROM entities WHERE entity = :entity

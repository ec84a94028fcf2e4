SELECT entity, xero_tenant_id, xero_organisation_name, base_currency FROM entities WHERE entity = :entity

-- The Cynare Demo PMS: a small practice-management database for a sample firm with three entities.
-- Amounts are decimal text (SQLite has no decimal type); dates are YYYY-MM-DD; modified_at is an
-- ISO timestamp the agent uses as its watermark. Rows whose origin is 'xero' came back from Xero
-- through the write-back and are not extracted again.

CREATE TABLE entities (
    entity TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    base_currency TEXT NOT NULL,
    xero_tenant_id TEXT NOT NULL,
    xero_organisation_name TEXT NOT NULL
);

CREATE TABLE vat_codes (
    entity TEXT NOT NULL REFERENCES entities,
    vat_code TEXT NOT NULL,
    description TEXT NOT NULL,
    rate TEXT NOT NULL,
    xero_tax_type TEXT NOT NULL,
    PRIMARY KEY (entity, vat_code)
);

CREATE TABLE nominals (
    entity TEXT NOT NULL REFERENCES entities,
    nominal_code TEXT NOT NULL,
    description TEXT NOT NULL,
    xero_account_code TEXT NOT NULL,
    PRIMARY KEY (entity, nominal_code)
);

CREATE TABLE tracking (
    entity TEXT NOT NULL REFERENCES entities,
    dimension TEXT NOT NULL,
    code TEXT NOT NULL,
    xero_category TEXT NOT NULL,
    xero_option TEXT NOT NULL,
    PRIMARY KEY (entity, dimension, code)
);

CREATE TABLE bank_accounts (
    entity TEXT NOT NULL REFERENCES entities,
    bank_code TEXT NOT NULL,
    currency TEXT NOT NULL,
    xero_account_code TEXT NOT NULL,
    PRIMARY KEY (entity, bank_code)
);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    name TEXT NOT NULL,
    email TEXT,
    address_line1 TEXT,
    city TEXT,
    postal_code TEXT,
    country TEXT,
    tax_number TEXT,
    currency TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0,
    modified_at TEXT NOT NULL
);

CREATE TABLE bills (
    bill_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    bill_number TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients,
    bill_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    fx_rate TEXT NOT NULL,
    total TEXT NOT NULL,
    matter_ref TEXT,
    modified_at TEXT NOT NULL
);
CREATE INDEX bills_modified ON bills (entity, modified_at);

CREATE TABLE bill_lines (
    bill_id TEXT NOT NULL REFERENCES bills,
    line_no INTEGER NOT NULL,
    narrative TEXT NOT NULL,
    nominal_code TEXT NOT NULL,
    vat_code TEXT NOT NULL,
    net TEXT NOT NULL,
    vat TEXT NOT NULL,
    office TEXT,
    department TEXT,
    fee_earner TEXT,
    PRIMARY KEY (bill_id, line_no)
);

CREATE TABLE credit_notes (
    credit_note_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    credit_note_number TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients,
    bill_id TEXT REFERENCES bills,
    cn_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    fx_rate TEXT NOT NULL,
    nominal_code TEXT NOT NULL,
    vat_code TEXT NOT NULL,
    net TEXT NOT NULL,
    vat TEXT NOT NULL,
    total TEXT NOT NULL,
    reason TEXT,
    modified_at TEXT NOT NULL
);
CREATE INDEX credit_notes_modified ON credit_notes (entity, modified_at);

CREATE TABLE write_offs (
    write_off_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    client_id TEXT NOT NULL REFERENCES clients,
    bill_id TEXT NOT NULL REFERENCES bills,
    wo_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount TEXT NOT NULL,
    reason TEXT NOT NULL,
    modified_at TEXT NOT NULL
);
CREATE INDEX write_offs_modified ON write_offs (entity, modified_at);

CREATE TABLE receipts (
    receipt_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    client_id TEXT NOT NULL REFERENCES clients,
    receipt_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    fx_rate TEXT NOT NULL,
    amount TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    reference TEXT,
    origin TEXT NOT NULL DEFAULT 'pms',
    xero_payment_id TEXT UNIQUE,
    modified_at TEXT NOT NULL
);
CREATE INDEX receipts_modified ON receipts (entity, modified_at);

CREATE TABLE receipt_allocations (
    receipt_id TEXT NOT NULL REFERENCES receipts,
    bill_id TEXT NOT NULL REFERENCES bills,
    amount TEXT NOT NULL,
    PRIMARY KEY (receipt_id, bill_id)
);

CREATE TABLE returned_receipts (
    return_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    receipt_id TEXT NOT NULL REFERENCES receipts,
    return_date TEXT NOT NULL,
    reason TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'pms',
    modified_at TEXT NOT NULL
);
CREATE INDEX returned_receipts_modified ON returned_receipts (entity, modified_at);

CREATE TABLE unallocated_receipts (
    unallocated_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    client_id TEXT NOT NULL REFERENCES clients,
    receipt_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    fx_rate TEXT NOT NULL,
    amount TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    reference TEXT,
    modified_at TEXT NOT NULL
);
CREATE INDEX unallocated_modified ON unallocated_receipts (entity, modified_at);

CREATE TABLE allocations (
    allocation_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    bill_id TEXT NOT NULL REFERENCES bills,
    alloc_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'pms',
    modified_at TEXT NOT NULL
);
CREATE INDEX allocations_modified ON allocations (entity, modified_at);

CREATE INDEX receipt_allocations_bill ON receipt_allocations (bill_id);
CREATE INDEX credit_notes_bill ON credit_notes (bill_id);
CREATE INDEX write_offs_bill ON write_offs (bill_id);
CREATE INDEX allocations_bill ON allocations (bill_id);
CREATE INDEX returned_receipts_receipt ON returned_receipts (receipt_id);

-- What Xero said about each PMS document (write-back 'posted' and 'rejected').
CREATE TABLE xero_links (
    dataset TEXT NOT NULL,
    pms_id TEXT NOT NULL,
    status TEXT NOT NULL,
    xero_id TEXT,
    xero_number TEXT,
    message TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (dataset, pms_id)
);

-- Write-back documents applied, written in the same transaction as their items: applying one twice
-- is refused by the primary key even if the agent's own state were lost.
CREATE TABLE cynare_writebacks (
    writeback_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    items INTEGER NOT NULL
);

-- The PMS's own client balance per currency, in cents so that the sum is exact.
CREATE VIEW client_ledger AS
    SELECT entity, client_id, currency, CAST(ROUND(CAST(total AS REAL) * 100) AS INTEGER) AS cents FROM bills
    UNION ALL
    SELECT entity, client_id, currency, -CAST(ROUND(CAST(total AS REAL) * 100) AS INTEGER) FROM credit_notes
    UNION ALL
    SELECT entity, client_id, currency, -CAST(ROUND(CAST(amount AS REAL) * 100) AS INTEGER) FROM write_offs
    UNION ALL
    SELECT entity, client_id, currency, -CAST(ROUND(CAST(amount AS REAL) * 100) AS INTEGER) FROM receipts
    UNION ALL
    SELECT r.entity, r.client_id, r.currency, CAST(ROUND(CAST(r.amount AS REAL) * 100) AS INTEGER)
    FROM returned_receipts AS rr JOIN receipts AS r ON r.receipt_id = rr.receipt_id
    UNION ALL
    SELECT entity, client_id, currency, -CAST(ROUND(CAST(amount AS REAL) * 100) AS INTEGER) FROM unallocated_receipts;

-- The Cynare Demo PMS: a small practice-management database for a sample firm with three entities.
-- Amounts are decimal text (SQLite has no decimal type); dates are YYYY-MM-DD; modified_at is an
-- ISO timestamp the agent uses as its watermark, never earlier than the row's own date. Rows whose
-- origin is 'xero' came back from Xero through the write-back and are not extracted again.

CREATE TABLE entities (
    entity TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    base_currency TEXT NOT NULL,
    xero_organisation_name TEXT NOT NULL
);

-- A VAT code is a rate (rate given, 0 for zero rated) or a treatment with no rate (exempt, outside
-- the scope, reverse charge). bad_debt_relief: VAT on a debt written off may be reclaimed.
CREATE TABLE vat_codes (
    entity TEXT NOT NULL REFERENCES entities,
    vat_code TEXT NOT NULL,
    description TEXT NOT NULL,
    treatment TEXT NOT NULL CHECK (treatment IN ('rated', 'exempt', 'outside_scope', 'reverse_charge')),
    rate TEXT CHECK ((treatment = 'rated') = (rate IS NOT NULL)),
    bad_debt_relief INTEGER NOT NULL DEFAULT 0,
    xero_tax_type TEXT,
    PRIMARY KEY (entity, vat_code)
);

-- Mapping columns (xero_*) may be empty: the firm has not said yet what the code is in Xero.
CREATE TABLE nominals (
    entity TEXT NOT NULL REFERENCES entities,
    nominal_code TEXT NOT NULL,
    description TEXT NOT NULL,
    xero_account_code TEXT,
    PRIMARY KEY (entity, nominal_code)
);

CREATE TABLE tracking (
    entity TEXT NOT NULL REFERENCES entities,
    dimension TEXT NOT NULL,
    code TEXT NOT NULL,
    xero_category TEXT,
    xero_option TEXT,
    PRIMARY KEY (entity, dimension, code)
);

CREATE TABLE bank_accounts (
    entity TEXT NOT NULL REFERENCES entities,
    bank_code TEXT NOT NULL,
    currency TEXT NOT NULL,
    xero_account_code TEXT,
    PRIMARY KEY (entity, bank_code)
);

-- archived_on: the day the client was archived; NULL while the client is active.
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
    archived_on TEXT,
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

-- The units behind a line billed by time or by the item (hours x hourly rate): net is quantity x
-- unit_price rounded half up to the cent. A line with no row here is a fixed amount.
CREATE TABLE bill_line_units (
    bill_id TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    quantity TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    PRIMARY KEY (bill_id, line_no),
    FOREIGN KEY (bill_id, line_no) REFERENCES bill_lines
);

-- bill_id: the bill the credit note relates to (what it is applied to is in allocations).
CREATE TABLE credit_notes (
    credit_note_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    credit_note_number TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients,
    bill_id TEXT REFERENCES bills,
    cn_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    fx_rate TEXT NOT NULL,
    total TEXT NOT NULL,
    reason TEXT,
    modified_at TEXT NOT NULL
);
CREATE INDEX credit_notes_modified ON credit_notes (entity, modified_at);

CREATE TABLE credit_note_lines (
    credit_note_id TEXT NOT NULL REFERENCES credit_notes,
    line_no INTEGER NOT NULL,
    narrative TEXT NOT NULL,
    nominal_code TEXT NOT NULL,
    vat_code TEXT NOT NULL,
    quantity TEXT,
    unit_price TEXT,
    net TEXT NOT NULL,
    vat TEXT NOT NULL,
    office TEXT,
    department TEXT,
    fee_earner TEXT,
    PRIMARY KEY (credit_note_id, line_no)
);

-- A bad debt written off to a bad-debt nominal, in the bill's currency at the day's rate; vat is
-- the VAT reclaimed as bad-debt relief under vat_code (NULL and 0 when none is reclaimed).
CREATE TABLE write_offs (
    write_off_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    client_id TEXT NOT NULL REFERENCES clients,
    bill_id TEXT NOT NULL REFERENCES bills,
    wo_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    fx_rate TEXT NOT NULL,
    nominal_code TEXT NOT NULL,
    vat_code TEXT,
    net TEXT NOT NULL,
    vat TEXT NOT NULL,
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

-- A receipt returned by the bank: whole (amount NULL) or in part (amount, and the allocations it
-- reverses in returned_allocations).
CREATE TABLE returned_receipts (
    return_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL REFERENCES entities,
    receipt_id TEXT NOT NULL REFERENCES receipts,
    return_date TEXT NOT NULL,
    reason TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'pms',
    modified_at TEXT NOT NULL,
    amount TEXT
);
CREATE INDEX returned_receipts_modified ON returned_receipts (entity, modified_at);

CREATE TABLE returned_allocations (
    return_id TEXT NOT NULL REFERENCES returned_receipts,
    bill_id TEXT NOT NULL REFERENCES bills,
    amount TEXT NOT NULL,
    PRIMARY KEY (return_id, bill_id)
);

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

-- Documents voided in the PMS: the document stays, this row says it no longer counts from void_date.
-- kind: bill, credit_note, write_off, receipt, unallocated_receipt or allocation.
CREATE TABLE voids (
    kind TEXT NOT NULL,
    document_id TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES entities,
    void_date TEXT NOT NULL,
    reason TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    PRIMARY KEY (kind, document_id)
);
CREATE INDEX voids_modified ON voids (entity, modified_at);

CREATE INDEX receipt_allocations_bill ON receipt_allocations (bill_id);
CREATE INDEX credit_notes_bill ON credit_notes (bill_id);
CREATE INDEX write_offs_bill ON write_offs (bill_id);
CREATE INDEX allocations_bill ON allocations (bill_id);
CREATE INDEX returned_receipts_receipt ON returned_receipts (receipt_id);

-- Every document the write-back may name, with its entity: what a write-back's target query reads.
CREATE VIEW pms_documents AS
    SELECT entity, 'clients' AS dataset, client_id AS pms_id FROM clients
    UNION ALL SELECT entity, 'bills', bill_id FROM bills
    UNION ALL SELECT entity, 'credit_notes', credit_note_id FROM credit_notes
    UNION ALL SELECT entity, 'write_offs', write_off_id FROM write_offs
    UNION ALL SELECT entity, 'receipts', receipt_id FROM receipts
    UNION ALL SELECT entity, 'unallocated_receipts', unallocated_id FROM unallocated_receipts
    UNION ALL SELECT entity, 'allocations', allocation_id FROM allocations;

-- What Xero said about each PMS document (write-back 'posted' and 'rejected').
CREATE TABLE xero_links (
    dataset TEXT NOT NULL,
    pms_id TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES entities,
    status TEXT NOT NULL,
    xero_id TEXT,
    xero_number TEXT,
    message TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (dataset, pms_id)
);

-- Write-back documents applied, written in the same transaction as their items: applying one twice
-- is refused by the primary key even if the agent's own state were lost. A document is its entity,
-- its id and its version (the SHA-256 of its content): a corrected document is a new version.
CREATE TABLE cynare_writebacks (
    entity TEXT NOT NULL,
    writeback_id TEXT NOT NULL,
    version TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    items INTEGER NOT NULL,
    PRIMARY KEY (entity, writeback_id, version)
);

-- The PMS's own client ledger: one entry per movement, on its day, in cents so that sums are exact.
-- A balance as at a day is the sum of the entries up to that day. A voided document is reversed on
-- its void date; a return gives back the part returned (the whole receipt when no amount is given).
CREATE VIEW client_ledger AS
    SELECT entity, client_id, currency, bill_date AS day, CAST(ROUND(CAST(total AS REAL) * 100) AS INTEGER) AS cents
    FROM bills
    UNION ALL
    SELECT entity, client_id, currency, cn_date, -CAST(ROUND(CAST(total AS REAL) * 100) AS INTEGER) FROM credit_notes
    UNION ALL
    SELECT entity, client_id, currency, wo_date, -CAST(ROUND(CAST(amount AS REAL) * 100) AS INTEGER) FROM write_offs
    UNION ALL
    SELECT entity, client_id, currency, receipt_date, -CAST(ROUND(CAST(amount AS REAL) * 100) AS INTEGER)
    FROM receipts
    UNION ALL
    SELECT r.entity, r.client_id, r.currency, rr.return_date,
           CAST(ROUND(CAST(COALESCE(rr.amount, r.amount) AS REAL) * 100) AS INTEGER)
    FROM returned_receipts AS rr JOIN receipts AS r ON r.receipt_id = rr.receipt_id
    UNION ALL
    SELECT entity, client_id, currency, receipt_date, -CAST(ROUND(CAST(amount AS REAL) * 100) AS INTEGER)
    FROM unallocated_receipts
    UNION ALL
    SELECT d.entity, d.client_id, d.currency, v.void_date, -CAST(ROUND(CAST(d.total AS REAL) * 100) AS INTEGER)
    FROM voids AS v JOIN bills AS d ON v.kind = 'bill' AND d.bill_id = v.document_id
    UNION ALL
    SELECT d.entity, d.client_id, d.currency, v.void_date, CAST(ROUND(CAST(d.total AS REAL) * 100) AS INTEGER)
    FROM voids AS v JOIN credit_notes AS d ON v.kind = 'credit_note' AND d.credit_note_id = v.document_id
    UNION ALL
    SELECT d.entity, d.client_id, d.currency, v.void_date, CAST(ROUND(CAST(d.amount AS REAL) * 100) AS INTEGER)
    FROM voids AS v JOIN write_offs AS d ON v.kind = 'write_off' AND d.write_off_id = v.document_id
    UNION ALL
    SELECT d.entity, d.client_id, d.currency, v.void_date, CAST(ROUND(CAST(d.amount AS REAL) * 100) AS INTEGER)
    FROM voids AS v JOIN receipts AS d ON v.kind = 'receipt' AND d.receipt_id = v.document_id
    UNION ALL
    SELECT d.entity, d.client_id, d.currency, v.void_date, CAST(ROUND(CAST(d.amount AS REAL) * 100) AS INTEGER)
    FROM voids AS v JOIN unallocated_receipts AS d ON v.kind = 'unallocated_receipt' AND d.unallocated_id = v.document_id;

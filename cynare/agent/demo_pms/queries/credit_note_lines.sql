-- A changed credit note is extracted with all its lines: the lines follow their credit note.
SELECT l.credit_note_id, l.line_no, l.narrative AS description, l.nominal_code, l.vat_code,
       l.quantity, l.unit_price, l.net, l.vat, l.office, l.department,
       MIN(c.modified_at, :as_at || 'T23:59:59') AS watermark
FROM credit_note_lines AS l JOIN credit_notes AS c ON c.credit_note_id = l.credit_note_id
WHERE c.entity = :entity AND c.cn_date <= :as_at AND (:since IS NULL OR c.modified_at > :since)
ORDER BY l.credit_note_id, l.line_no

-- The address book: customers by number (E.164). Tags are stored as ",tag,other," (see
-- bridge/store/ops_contacts.py), so one tag is one LIKE pattern; a filter left out is '%'.

-- name: contact
SELECT * FROM contacts WHERE number = ?

-- name: contacts
-- Those with a name first, by name; then the rest by number. The search reads the name,
-- address and notes lower-cased (LIKE is case-sensitive on PostgreSQL) and the number.
SELECT * FROM contacts
WHERE tags LIKE ? ESCAPE '\'
  AND (lower(name || ' ' || email || ' ' || notes) LIKE ? ESCAPE '\' OR number LIKE ? ESCAPE '\')
ORDER BY name = '', lower(name), number
LIMIT ?

-- name: save_contact
INSERT INTO contacts (number, name, email, tags, timezone, language, notes, created_at,
    updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (number) DO UPDATE SET name = excluded.name, email = excluded.email,
    tags = excluded.tags, timezone = excluded.timezone, language = excluded.language,
    notes = excluded.notes, updated_at = excluded.updated_at

-- name: delete_contact
DELETE FROM contacts WHERE number = ?

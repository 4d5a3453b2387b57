-- notes, step 2: who wrote each note (existing notes: 'unknown').
ALTER TABLE notes ADD COLUMN author text NOT NULL DEFAULT 'unknown';

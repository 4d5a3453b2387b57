-- notes, step 1: the table of notes.
CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);

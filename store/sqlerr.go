package store

import (
	"errors"

	sqlite "github.com/mattn/go-sqlite3"
)

// isForeignKey reports a row that names a missing parent (a retiree or
// staff member not in the database). SQLite errors are told apart by
// their extended result codes, never by the text of their messages.
func isForeignKey(err error) bool {
	var se sqlite.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite.ErrConstraintForeignKey
}

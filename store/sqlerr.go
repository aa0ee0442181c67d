package store

import (
	"errors"
	"syscall"

	sqlite "github.com/mattn/go-sqlite3"
)

// isForeignKey reports a row that names a missing parent (a retiree or
// staff member not in the database). SQLite errors are told apart by
// their extended result codes, never by the text of their messages.
func isForeignKey(err error) bool {
	var se sqlite.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite.ErrConstraintForeignKey
}

// isDiskFull reports a write refused for want of space: SQLite's
// SQLITE_FULL (the disk, or the database's page limit) or the system's
// ENOSPC on a file of ours.
func isDiskFull(err error) bool {
	var se sqlite.Error
	return errors.As(err, &se) && se.Code == sqlite.ErrFull || errors.Is(err, syscall.ENOSPC)
}

// IsDiskFull reports whether err is a write refused for want of space.
func IsDiskFull(err error) bool { return isDiskFull(err) }

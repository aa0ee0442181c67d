// Package console is the social-insurance office's web console, served by
// centrald under /console/: the review queue, retirees' pension status,
// the monthly lists for the payment system, terminals and a dashboard.
// Pages are rendered on the server from embedded templates and work
// without JavaScript. The rules it shows (cases, decisions, suspensions)
// are the central's; it reaches storage only through
// central.ConsoleStorage, which sqlstore implements for SQLite and
// PostgreSQL.
package console

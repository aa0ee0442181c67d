// Command centrald is the reference central service that certkiosk
// terminals sync to. It runs on servers and links neither the GUI toolkit
// nor OpenCV/dlib.
//
//	centrald --data DIR --listen 127.0.0.1:PORT --insecure-http   # serve until SIGTERM
//	centrald --data DIR terminal add --id T-0001 --name NAME      # token on the last stdout line
//	centrald --data DIR terminal revoke --id T-0001
//	centrald --data DIR terminal reenroll --id T-0001              # new one-time token for an enrolled terminal
//	centrald --data DIR keys rotate --kind evidence|signing|tls   # retire a key, make its successor
//	centrald --data DIR terminal audit --id T-0001                 # acknowledged audit head SEQ:HASH, alarms
//	centrald --data DIR stats --json
//	centrald --data DIR identity export [--out FILE]             # FILE (or a redirected stdout) is made 0600
//	centrald --data DIR evidence export --out DIR2
//	centrald --data DIR import BUNDLE [--receipt OUT]                # offline delivery
//	centrald --data DIR tls pin
//	centrald --data DIR roster import FILE [--encoding auto|utf8|gbk] [--photos DIR]  # publish the next roster version
//	centrald --data DIR console-user add --id ID --name NAME --role reviewer|admin < pin.txt   # web console at /console/
//	centrald --data DIR console-user disable|enable|pin --id ID [< pin.txt]                  # ends its sessions
//	centrald --data DIR report suspensions|resumptions|due --month YYYY-MM --csv          # lists for the payment system
//
// Storage: SQLite in DIR by default, or --db sqlite:PATH, or --db postgres://….
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"certkiosk/central"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "centrald:", central.MaskIDs(err.Error()))
		if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

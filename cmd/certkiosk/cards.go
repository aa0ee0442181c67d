package main

import (
	"context"
	"fmt"
	"log"

	"certkiosk"
	"certkiosk/idcard"
	"certkiosk/store"
)

// demoCardCount is how many of the demo roster's retirees have a demo card
// on demo mode's reader, beside one expired card and one of a stranger.
const demoCardCount = 3

// cardReader is the identity-card reader the kiosk watches: the serial
// device the supervisor configured (--card-reader), or in demo mode a
// simulated reader whose demo cards staff place with buttons. nil opener:
// no reader.
func cardReader(ctx context.Context, cfg config, db *store.DB) (idcard.Opener, *demoCards, error) {
	if cfg.CardReader != "" {
		return idcard.DeviceOpener(cfg.CardReader, idcard.Options{}), nil, nil
	}
	if !cfg.Demo {
		return nil, nil, nil
	}
	sim, err := idcard.NewSimulator(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("demo card reader: %w", err)
	}
	d := &demoCards{sim: sim}
	ids, err := db.ListRetireeIDs(ctx, demoCardCount)
	if err != nil {
		return nil, nil, fmt.Errorf("demo cards: %w", err)
	}
	for _, id := range ids {
		r, err := db.FindRetiree(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("demo cards: %w", err)
		}
		d.add(r.Name, idcard.DemoCard(r))
	}
	if len(ids) > 0 {
		r, _ := db.FindRetiree(ctx, ids[0])
		expired := idcard.DemoCard(r)
		expired.LongTerm, expired.ValidTo = false, certkiosk.Date{Year: 2020, Month: 1, Day: 1}
		d.add("过期证件", expired)
		if stranger, err := certkiosk.CompleteResidentID("11010519491231002"); err == nil {
			c := idcard.DemoCard(r)
			c.ID, c.Name = stranger, "名册外"
			d.add("名册外", c)
		}
	}
	return sim.Opener(idcard.Options{}), d, nil
}

// demoCards is demo mode's reader for the home screen's buttons (ui.DemoCards).
type demoCards struct {
	sim   *idcard.Simulator
	names []string
	cards []*idcard.Card
}

func (d *demoCards) add(name string, c *idcard.Card) {
	d.names = append(d.names, name)
	d.cards = append(d.cards, c)
}

func (d *demoCards) Cards() []string { return d.names }

func (d *demoCards) Place(i int) {
	if i < 0 || i >= len(d.cards) {
		return
	}
	if err := d.sim.Place(d.cards[i]); err != nil {
		log.Printf("demo card reader: %v", err)
	}
}

func (d *demoCards) Remove() { d.sim.Remove() }

package sync

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Batches travel framed: a small JSON header and the evidence files as raw
// bytes after it, in order. Base64 inside JSON made the central spend
// most of its time scanning and decoding strings (a batch of 200 records
// with 20 KB evidence is 4 MB of ciphertext); framing leaves the JSON
// small and the age files byte for byte as the kiosk wrote them.
//
//	"CKB1" | uint32 big-endian header length | header JSON | evidence bytes…
//
// The header is a Batch whose evidence entries carry kind, sha256 and size
// but no ciphertext. The request signature covers the whole body, as for
// any request.
const (
	ContentTypeBatch = "application/x-certkiosk-batch"
	frameMagic       = "CKB1"
)

// EncodeBatch frames a batch.
func EncodeBatch(b Batch) ([]byte, error) {
	head := Batch{Records: make([]Record, len(b.Records)), Audit: b.Audit}
	total := 0
	for i, r := range b.Records {
		r.Evidence = append([]Evidence(nil), r.Evidence...)
		for j := range r.Evidence {
			r.Evidence[j].Size = len(r.Evidence[j].Ciphertext)
			total += r.Evidence[j].Size
			r.Evidence[j].Ciphertext = nil
		}
		head.Records[i] = r
	}
	hj, err := json.Marshal(head)
	if err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(8 + len(hj) + total)
	buf.WriteString(frameMagic)
	binary.Write(&buf, binary.BigEndian, uint32(len(hj)))
	buf.Write(hj)
	for _, r := range b.Records {
		for _, e := range r.Evidence {
			buf.Write(e.Ciphertext)
		}
	}
	return buf.Bytes(), nil
}

// DecodeBatch reads a framed batch; the evidence slices share body's
// memory. It refuses with ErrTooLarge past the protocol limits.
func DecodeBatch(body []byte) (Batch, error) {
	n, err := headerLength(body)
	if err != nil {
		return Batch{}, err
	}
	b, err := decodeBatchJSON(bytes.NewReader(body[8 : 8+n]))
	if err != nil {
		return b, fmt.Errorf("framed batch header: %w", err)
	}
	rest := body[8+n:]
	for i := range b.Records {
		for j := range b.Records[i].Evidence {
			e := &b.Records[i].Evidence[j]
			if e.Ciphertext != nil {
				return b, fmt.Errorf("framed batch: evidence %d of record %d has ciphertext in the header", j, i)
			}
			if e.Size < 0 || e.Size > len(rest) {
				return b, fmt.Errorf("framed batch: evidence %d of record %d runs past the body", j, i)
			}
			e.Ciphertext, rest = rest[:e.Size:e.Size], rest[e.Size:]
		}
	}
	if len(rest) != 0 {
		return b, fmt.Errorf("framed batch: %d bytes after the last evidence", len(rest))
	}
	return b, nil
}

package sync

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Limits of protocol v1 (docs/sync-protocol.md, "Limits"). The central
// refuses a request past them with 413 too_large, checking while it
// decodes, so a terminal can never make it hold more than one body.
const (
	// MaxBodyBytes caps a request body; a longer Content-Length is refused
	// before anything is read.
	MaxBodyBytes = 16 << 20
	// MaxBatchRecords caps the records of one batch (and of a bundle's batch).
	MaxBatchRecords = 200
	// MaxHeaderBytes caps the JSON header of a framed batch.
	MaxHeaderBytes = 2 << 20
	// MaxEvidencePerRecord caps evidence objects per record (one per kind).
	MaxEvidencePerRecord = 2
	// MaxEvidenceBytes caps one evidence object (the age file).
	MaxEvidenceBytes = 4 << 20
	// MaxMetricsBytes caps a record's metrics JSON.
	MaxMetricsBytes = 16 << 10
	// MaxFieldBytes caps each short text field of a record (staff_id,
	// terminal, method, challenge, verdict, reason, receipt, frame_source,
	// speech_check).
	MaxFieldBytes = 256
	// MaxAnswerBytes caps what a terminal reads of an answer (a full roster
	// snapshot is the largest).
	MaxAnswerBytes = 256 << 20
	// MaxBundleBytes caps an offline bundle file.
	MaxBundleBytes = 1 << 30
)

// ErrTooLarge marks a body or record past the limits (HTTP 413).
var ErrTooLarge = errors.New("past the protocol limits")

func tooLarge(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrTooLarge, fmt.Sprintf(format, a...))
}

// CheckRecordLimits checks one record against the per-record limits.
func CheckRecordLimits(r Record) error {
	for name, v := range map[string]string{"id": r.ID, "retiree_id": r.RetireeID, "staff_id": r.StaffID,
		"terminal": r.Terminal, "method": r.Method, "challenge": r.Challenge, "verdict": r.Verdict,
		"reason": r.Reason, "receipt": r.Receipt, "frame_source": r.FrameSource, "speech_check": r.SpeechCheck} {
		if len(v) > MaxFieldBytes {
			return tooLarge("record field %s is %d bytes, at most %d", name, len(v), MaxFieldBytes)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("record field %s is not UTF-8", name)
		}
	}
	if len(r.Metrics) > MaxMetricsBytes {
		return tooLarge("metrics are %d bytes, at most %d", len(r.Metrics), MaxMetricsBytes)
	}
	if len(r.Evidence) > MaxEvidencePerRecord {
		return tooLarge("%d evidence objects in one record, at most %d", len(r.Evidence), MaxEvidencePerRecord)
	}
	for _, e := range r.Evidence {
		if len(e.Ciphertext) > MaxEvidenceBytes || e.Size > MaxEvidenceBytes {
			return tooLarge("evidence of %d bytes, at most %d", max(len(e.Ciphertext), e.Size), MaxEvidenceBytes)
		}
		if len(e.Kind) > MaxFieldBytes || len(e.SHA256) > MaxFieldBytes {
			return tooLarge("evidence kind or digest too long")
		}
	}
	return nil
}

// ReadBatch decodes a batch body of either encoding (framed when
// contentType is ContentTypeBatch, else JSON), record by record, refusing
// with ErrTooLarge as soon as it passes a limit. Any other error means the
// body is malformed.
func ReadBatch(body []byte, contentType string) (Batch, error) {
	if len(body) > MaxBodyBytes {
		return Batch{}, tooLarge("body of %d bytes, at most %d", len(body), MaxBodyBytes)
	}
	if contentType == ContentTypeBatch {
		return DecodeBatch(body)
	}
	return decodeBatchJSON(bytes.NewReader(body))
}

// decodeBatchJSON reads {"records": [...], "audit": {...}} one record at a
// time, so a body of many tiny records is refused at record 201 rather
// than after building all of them.
func decodeBatchJSON(r io.Reader) (Batch, error) { return decodeBatchJSONMax(r, MaxBatchRecords) }

func decodeBatchJSONMax(r io.Reader, maxRecords int) (Batch, error) {
	var b Batch
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return b, errors.New("batch: want a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return b, fmt.Errorf("batch: %w", err)
		}
		switch t {
		case "records":
			if err := decodeRecords(dec, &b, maxRecords); err != nil {
				return b, err
			}
		case "audit":
			if err := dec.Decode(&b.Audit); err != nil {
				return b, fmt.Errorf("batch audit head: %w", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return b, fmt.Errorf("batch: %w", err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return b, fmt.Errorf("batch: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return b, errors.New("batch: data after the JSON object")
	}
	return b, nil
}

func decodeRecords(dec *json.Decoder, b *Batch, maxRecords int) error {
	t, err := dec.Token()
	if err != nil {
		return fmt.Errorf("batch records: %w", err)
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('[') {
		return errors.New("batch records: want an array")
	}
	for dec.More() {
		if len(b.Records) >= maxRecords {
			return tooLarge("more than %d records in one batch", maxRecords)
		}
		var rec Record
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("batch record %d: %w", len(b.Records), err)
		}
		if err := CheckRecordLimits(rec); err != nil {
			return fmt.Errorf("batch record %d: %w", len(b.Records), err)
		}
		b.Records = append(b.Records, rec)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("batch records: %w", err)
	}
	return nil
}

// headerLength reads a framed batch's magic and header length.
func headerLength(body []byte) (int, error) {
	if len(body) < 8 || string(body[:4]) != frameMagic {
		return 0, errors.New("not a framed batch")
	}
	n := binary.BigEndian.Uint32(body[4:8])
	if n > MaxHeaderBytes {
		return 0, tooLarge("framed batch header of %d bytes, at most %d", n, MaxHeaderBytes)
	}
	if int(n) > len(body)-8 {
		return 0, errors.New("framed batch: header longer than the body")
	}
	return int(n), nil
}

package central

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"certkiosk"
	ksync "certkiosk/sync"
)

// MaxContactsBodyBytes caps a contacts request: 500 changes of a few
// hundred bytes each fit with room to spare.
const MaxContactsBodyBytes = 1 << 20

// contacts answers POST /v1/contacts: the contact checks and changes a
// terminal made at the counter, authenticated like a batch.
func (s *Server) contacts(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if r.ContentLength > MaxContactsBodyBytes {
		s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge, fmt.Sprintf("body longer than %d bytes", MaxContactsBodyBytes))
		return
	}
	terminal, body, release, ok := s.authenticate(w, r, true)
	defer release()
	if !ok {
		return
	}
	if len(body) > MaxContactsBodyBytes {
		s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge, fmt.Sprintf("body longer than %d bytes", MaxContactsBodyBytes))
		return
	}
	cs, ok := s.Store.(ContactStorage)
	if !ok {
		s.fail(w, http.StatusNotFound, ksync.CodeNotFound, "this central keeps no contact details")
		return
	}
	var req ksync.ContactsRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "malformed contact changes")
		return
	}
	if len(req.Changes) > ksync.MaxContactChanges {
		s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge,
			fmt.Sprintf("%d contact changes, at most %d", len(req.Changes), ksync.MaxContactChanges))
		return
	}
	res, err := cs.PutContacts(r.Context(), terminal, req.Changes, s.Now())
	if err != nil {
		s.Log.Printf("contacts from %s: %v", terminal, err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "storing contact changes failed; retry")
		return
	}
	s.Log.Printf("contacts from %s: %d changes", terminal, len(res))
	writeJSON(w, http.StatusOK, ksync.ContactsResponse{Results: res})
}

// photo answers GET /v1/photos/{id}: a retiree's reference photo, for an
// authenticated terminal only.
func (s *Server) photo(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	terminal, _, release, ok := s.authenticate(w, r, false)
	defer release()
	if !ok {
		return
	}
	id, err := certkiosk.ParseResidentID(r.PathValue("id"))
	if err != nil {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "not an identity number")
		return
	}
	ps, ok := s.Store.(PhotoStorage)
	if !ok {
		s.fail(w, http.StatusNotFound, ksync.CodeNotFound, "this central keeps no photos")
		return
	}
	sealed, err := ps.Photo(r.Context(), string(id))
	if errors.Is(err, ErrNotFound) {
		s.fail(w, http.StatusNotFound, ksync.CodeNotFound, "no photo of this retiree")
		return
	}
	// Every fetch is recorded (terminal, retiree, time) and counted: a
	// terminal past MaxPhotoFetches gets no more today (N9).
	if fl, ok := s.Store.(PhotoFetchLog); ok && err == nil {
		now := s.Now()
		n, ferr := fl.NotePhotoFetch(r.Context(), terminal, string(id), now, now.Add(-24*time.Hour))
		if ferr != nil {
			s.Log.Printf("photo fetch by %s: %v", terminal, ferr)
			s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "photo unavailable; retry")
			return
		}
		if n > s.MaxPhotoFetches {
			if n == s.MaxPhotoFetches+1 {
				s.Log.Printf("ALARM: terminal %s fetched %d reference photos in 24 hours", terminal, s.MaxPhotoFetches)
			}
			s.tooMany(w)
			return
		}
	}
	var b []byte
	if err == nil {
		b, err = s.Keys.OpenPhoto(sealed) // in memory only
	}
	if err != nil {
		s.Log.Printf("photo of %s: %v", id.Masked(), err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "photo unavailable; retry")
		return
	}
	writeJSON(w, http.StatusOK, ksync.PhotoAnswer{ID: string(id), SHA256: PhotoSHA256(b), JPEG: b})
}

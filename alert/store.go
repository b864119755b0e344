package alert

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/model"
	bolt "go.etcd.io/bbolt"
)

// StateFile is the name of the state database in Options.DataDir.
const StateFile = "alerts.db"

var (
	bucketAlerts   = []byte("alerts")
	bucketNflog    = []byte("nflog")
	bucketSilences = []byte("silences")
	bucketOutbox   = []byte("outbox")
)

// store persists the manager's state in a bbolt database: alerts, the
// notification log, silences and the outbox. Every write is one
// transaction, synced to disk before it returns, so what a write returned
// for survives a crash. A store without a database keeps nothing.
type store struct {
	db  *bolt.DB
	seq atomic.Uint64 // outbox sequence when there is no database
}

func openStore(dir string) (*store, error) {
	if dir == "" {
		return &store{}, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, StateFile), 0o600, &bolt.Options{Timeout: 5 * time.Second, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("open alert state %s: %w", filepath.Join(dir, StateFile), err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAlerts, bucketNflog, bucketSilences, bucketOutbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("create alert state buckets: %w", err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}

// state is everything the store holds.
type state struct {
	alerts   []*alertEntry
	nflog    map[string]*nflogEntry
	silences []*silence
	outbox   []*outboxEntry
}

func (s *store) load() (*state, error) {
	st := &state{nflog: map[string]*nflogEntry{}}
	if s.db == nil {
		return st, nil
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			var a alertEntry
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode alert: %w", err)
			}
			a.fp = a.Labels.Fingerprint()
			st.alerts = append(st.alerts, &a)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketNflog).ForEach(func(k, v []byte) error {
			var e nflogEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode notification log entry: %w", err)
			}
			st.nflog[string(k)] = &e
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSilences).ForEach(func(k, v []byte) error {
			var sil silence
			if err := json.Unmarshal(v, &sil); err != nil {
				return fmt.Errorf("decode silence: %w", err)
			}
			st.silences = append(st.silences, &sil)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			var e outboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode outbox entry: %w", err)
			}
			st.outbox = append(st.outbox, &e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load alert state: %w", err)
	}
	return st, nil
}

// batch is the set of changes one dispatch round makes.
type batch struct {
	putAlerts []*alertEntry
	delAlerts []model.Fingerprint
	putNflog  map[string]*nflogEntry
	delNflog  []string
	outbox    []*outboxEntry // new entries: commit assigns Seq and keys
}

func (b *batch) empty() bool {
	return len(b.putAlerts) == 0 && len(b.delAlerts) == 0 && len(b.putNflog) == 0 && len(b.delNflog) == 0 && len(b.outbox) == 0
}

func fpKey(fp model.Fingerprint) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(fp))
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

// idempotencyKey derives the key of a new outbox entry from what makes it
// unique: its sequence number, integration and group.
func idempotencyKey(e *outboxEntry) string {
	h := sha256.Sum256([]byte(strconv.FormatUint(e.Seq, 10) + "\x00" + e.Integration + "\x00" + e.GroupID + "\x00" + strconv.FormatInt(e.Queued.UnixNano(), 10)))
	return hex.EncodeToString(h[:16])
}

// commit writes b in one transaction, assigning sequence numbers and
// idempotency keys to its new outbox entries.
func (s *store) commit(b *batch) error {
	if s.db == nil {
		for _, e := range b.outbox {
			e.Seq = s.seq.Add(1)
			e.Notification.IdempotencyKey = idempotencyKey(e)
		}
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		ab := tx.Bucket(bucketAlerts)
		for _, a := range b.putAlerts {
			v, err := json.Marshal(a)
			if err != nil {
				return fmt.Errorf("encode alert: %w", err)
			}
			if err := ab.Put(fpKey(a.fp), v); err != nil {
				return err
			}
		}
		for _, fp := range b.delAlerts {
			if err := ab.Delete(fpKey(fp)); err != nil {
				return err
			}
		}
		nb := tx.Bucket(bucketNflog)
		for k, e := range b.putNflog {
			v, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode notification log entry: %w", err)
			}
			if err := nb.Put([]byte(k), v); err != nil {
				return err
			}
		}
		for _, k := range b.delNflog {
			if err := nb.Delete([]byte(k)); err != nil {
				return err
			}
		}
		ob := tx.Bucket(bucketOutbox)
		for _, e := range b.outbox {
			seq, err := ob.NextSequence()
			if err != nil {
				return err
			}
			e.Seq = seq
			e.Notification.IdempotencyKey = idempotencyKey(e)
			v, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode outbox entry: %w", err)
			}
			if err := ob.Put(seqKey(seq), v); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *store) putOutbox(e *outboxEntry) error {
	if s.db == nil {
		return nil
	}
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode outbox entry: %w", err)
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketOutbox).Put(seqKey(e.Seq), v) })
}

func (s *store) deleteOutbox(seqs ...uint64) error {
	if s.db == nil || len(seqs) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		for _, seq := range seqs {
			if err := b.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *store) putSilence(sil *silence) error {
	if s.db == nil {
		return nil
	}
	v, err := json.Marshal(sil)
	if err != nil {
		return fmt.Errorf("encode silence: %w", err)
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSilences).Put([]byte(sil.ID), v) })
}

func (s *store) deleteSilences(ids []string) error {
	if s.db == nil || len(ids) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSilences)
		for _, id := range ids {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

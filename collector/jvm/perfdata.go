package jvm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// perfMagic starts every HotSpot perf-data file, in big-endian byte order
// whatever the byte order of the rest of the file.
const perfMagic = 0xcafec0c0

// prologueSize is the size of the version 2 prologue.
const prologueSize = 32

// entryHeaderSize is the size of the fixed part of a version 2 entry.
const entryHeaderSize = 20

// Type codes of perf-data entries (JVM field descriptors).
const (
	perfTypeLong = 'J'
	perfTypeByte = 'B'
)

// Units of perf-data entries.
const (
	// UnitNone is a dimensionless number.
	UnitNone = 1
	// UnitBytes is a size in bytes.
	UnitBytes = 2
	// UnitTicks is a duration in ticks of sun.os.hrt.frequency.
	UnitTicks = 3
	// UnitEvents is a count of events.
	UnitEvents = 4
	// UnitString is a string.
	UnitString = 5
	// UnitHertz is a frequency.
	UnitHertz = 6
)

// PerfCounter is one entry of a perf-data file: a 64-bit integer or a
// string.
type PerfCounter struct {
	// Int is the value of an integer counter.
	Int int64
	// Str is the value of a string counter (a byte vector up to its first
	// NUL).
	Str string
	// IsString tells which of Int and Str holds the value.
	IsString bool
	// Units is one of the Unit constants.
	Units uint8
}

// PerfData is the content of a HotSpot perf-data file, the memory-mapped
// file that a JVM started with -XX:+UsePerfData (the default) keeps in
// <tmp>/hsperfdata_<user>/<pid> and that jstat reads.
type PerfData struct {
	// Accessible is false while the JVM is still initialising the file.
	Accessible bool
	// Counters maps counter names ("sun.gc.collector.0.invocations", ...)
	// to their values.
	Counters map[string]PerfCounter
}

// Int returns the integer counter name.
func (p *PerfData) Int(name string) (int64, bool) {
	c, ok := p.Counters[name]
	if !ok || c.IsString {
		return 0, false
	}
	return c.Int, true
}

// Str returns the string counter name.
func (p *PerfData) Str(name string) (string, bool) {
	c, ok := p.Counters[name]
	if !ok || !c.IsString {
		return "", false
	}
	return c.Str, true
}

// ParsePerfData parses a perf-data file (format version 2, used by HotSpot
// since JDK 1.4.2). It checks every offset against the buffer, so a
// truncated, corrupt or foreign file gives an error, never a panic.
// Counters of types other than long and byte vectors are skipped.
func ParsePerfData(b []byte) (*PerfData, error) {
	if len(b) < prologueSize {
		return nil, fmt.Errorf("parse perf data: file of %d bytes is shorter than the prologue", len(b))
	}
	if m := binary.BigEndian.Uint32(b); m != perfMagic {
		return nil, fmt.Errorf("parse perf data: bad magic %#x", m)
	}
	var order binary.ByteOrder
	switch b[4] {
	case 0:
		order = binary.BigEndian
	case 1:
		order = binary.LittleEndian
	default:
		return nil, fmt.Errorf("parse perf data: bad byte order %d", b[4])
	}
	if major := b[5]; major != 2 {
		return nil, fmt.Errorf("parse perf data: unsupported format version %d.%d", major, b[6])
	}
	p := &PerfData{Accessible: b[7] != 0}
	used := order.Uint32(b[8:])
	entryOffset := order.Uint32(b[24:])
	numEntries := order.Uint32(b[28:])
	end := uint64(len(b))
	if used != 0 && uint64(used) < end {
		end = uint64(used)
	}
	if uint64(numEntries) > end/entryHeaderSize {
		return nil, fmt.Errorf("parse perf data: %d entries cannot fit in %d bytes", numEntries, end)
	}
	p.Counters = make(map[string]PerfCounter, numEntries)
	off := uint64(entryOffset)
	for i := uint32(0); i < numEntries; i++ {
		if off+entryHeaderSize > end {
			return nil, fmt.Errorf("parse perf data: entry %d at offset %d is beyond the data (%d bytes)", i, off, end)
		}
		h := b[off:]
		length := uint64(order.Uint32(h))
		nameOff := uint64(order.Uint32(h[4:]))
		vecLen := uint64(order.Uint32(h[8:]))
		typ, units := h[12], h[14]
		dataOff := uint64(order.Uint32(h[16:]))
		if length < entryHeaderSize || off+length > end || nameOff >= length || dataOff > length {
			return nil, fmt.Errorf("parse perf data: entry %d at offset %d has inconsistent offsets", i, off)
		}
		entry := b[off : off+length]
		nul := bytes.IndexByte(entry[nameOff:], 0)
		if nul <= 0 {
			return nil, fmt.Errorf("parse perf data: entry %d at offset %d has no name", i, off)
		}
		name := string(entry[nameOff : nameOff+uint64(nul)])
		data := entry[dataOff:]
		switch {
		case typ == perfTypeLong && vecLen == 0:
			if len(data) < 8 {
				return nil, fmt.Errorf("parse perf data: counter %s is truncated", name)
			}
			p.Counters[name] = PerfCounter{Int: int64(order.Uint64(data)), Units: units}
		case typ == perfTypeByte && vecLen > 0:
			if uint64(len(data)) < vecLen {
				return nil, fmt.Errorf("parse perf data: string %s is truncated", name)
			}
			s := data[:vecLen]
			if i := bytes.IndexByte(s, 0); i >= 0 {
				s = s[:i]
			}
			p.Counters[name] = PerfCounter{Str: string(s), IsString: true, Units: units}
		}
		off += length
	}
	return p, nil
}

// errNotHotSpot reports a perf-data file without the counters a HotSpot JVM
// always has.
var errNotHotSpot = errors.New("no sun.os.hrt.frequency counter: not a HotSpot perf-data file")

// perfStats fills s from the counters of a HotSpot JVM: heap from the
// generations (young, old), pools named as the JVM's memory pool MXBeans
// name them for the known collectors, metaspace and compressed class space,
// collectors (named as in hsperfdata), threads, classes, start time and
// version. CPU time and file descriptors are not in perf data.
func perfStats(p *PerfData, s *Stats) error {
	freq, ok := p.Int("sun.os.hrt.frequency")
	if !ok || freq <= 0 {
		return errNotHotSpot
	}
	policy, _ := p.Str("sun.gc.policy.name")
	names := poolNames(policy)

	// Generations and their spaces.
	var heapUsed, heapCommitted, heapMax, maxGenMax float64
	var gens int
	survivor := -1 // index in s.Pools
	for g := 0; g < 4; g++ {
		prefix := fmt.Sprintf("sun.gc.generation.%d.", g)
		capacity, ok := p.Int(prefix + "capacity")
		if !ok {
			break
		}
		gens++
		genMax, _ := p.Int(prefix + "maxCapacity")
		genName, _ := p.Str(prefix + "name")
		heapCommitted += float64(capacity)
		heapMax += float64(genMax)
		maxGenMax = math.Max(maxGenMax, float64(genMax))
		spaces, _ := p.Int(prefix + "spaces")
		for sp := int64(0); sp < spaces && sp < 8; sp++ {
			sprefix := fmt.Sprintf("%sspace.%d.", prefix, sp)
			used, ok := p.Int(sprefix + "used")
			if !ok {
				continue
			}
			heapUsed += float64(used)
			spName, _ := p.Str(sprefix + "name")
			u := Usage{Used: float64(used), Committed: math.NaN(), Max: math.NaN(), Init: math.NaN()}
			if v, ok := p.Int(sprefix + "capacity"); ok {
				u.Committed = float64(v)
			}
			if v, ok := p.Int(sprefix + "maxCapacity"); ok {
				u.Max = float64(v)
			}
			if v, ok := p.Int(sprefix + "initCapacity"); ok {
				u.Init = float64(v)
			}
			switch {
			case g == 0 && spName == "eden":
				s.Pools = append(s.Pools, Pool{Name: names.eden, Usage: u})
			case g == 0 && (spName == "s0" || spName == "s1"):
				// JMX reports one survivor pool, the space in use; jstat
				// shows both halves. Add the use, keep the larger sizes.
				if survivor < 0 {
					survivor = len(s.Pools)
					s.Pools = append(s.Pools, Pool{Name: names.survivor, Usage: u})
					continue
				}
				sv := &s.Pools[survivor]
				sv.Used += u.Used
				sv.Committed = math.Max(sv.Committed, u.Committed)
				sv.Max = math.Max(sv.Max, u.Max)
				sv.Init = math.Max(sv.Init, u.Init)
			case g == 1 && spaces == 1:
				s.Pools = append(s.Pools, Pool{Name: names.old, Usage: u})
			default:
				s.Pools = append(s.Pools, Pool{Name: genName + "." + spName, Usage: u})
			}
		}
	}
	if gens > 0 {
		s.Heap.Used = heapUsed
		s.Heap.Committed = heapCommitted
		// G1's generations each report the whole heap as their maximum.
		if policy == "GarbageFirst" {
			heapMax = maxGenMax
		}
		s.Heap.Max = heapMax
	}
	for _, m := range []struct{ prefix, pool string }{
		{"sun.gc.metaspace.", "Metaspace"},
		{"sun.gc.compressedclassspace.", "Compressed Class Space"},
	} {
		used, ok := p.Int(m.prefix + "used")
		if !ok {
			continue
		}
		u := NewUsage()
		u.Used = float64(used)
		if v, ok := p.Int(m.prefix + "capacity"); ok {
			u.Committed = float64(v)
		}
		if v, ok := p.Int(m.prefix + "maxCapacity"); ok {
			u.Max = float64(v)
		}
		s.Pools = append(s.Pools, Pool{Name: m.pool, Usage: u})
	}

	// Collectors.
	for c := 0; c < 8; c++ {
		prefix := fmt.Sprintf("sun.gc.collector.%d.", c)
		n, ok := p.Int(prefix + "invocations")
		if !ok {
			break
		}
		name, _ := p.Str(prefix + "name")
		if name == "" {
			name = fmt.Sprintf("collector %d", c)
		}
		gc := GC{Name: name, Count: float64(n), Seconds: math.NaN()}
		if ticks, ok := p.Int(prefix + "time"); ok {
			gc.Seconds = float64(ticks) / float64(freq)
		}
		s.GC = append(s.GC, gc)
	}

	set := func(dst *float64, name string) {
		if v, ok := p.Int(name); ok {
			*dst = float64(v)
		}
	}
	set(&s.ThreadsCurrent, "java.threads.live")
	set(&s.ThreadsDaemon, "java.threads.daemon")
	set(&s.ThreadsPeak, "java.threads.livePeak")
	set(&s.ThreadsStarted, "java.threads.started")

	// Loaded classes include those from the shared archive, as
	// ClassLoadingMXBean counts them.
	loaded, ok1 := p.Int("java.cls.loadedClasses")
	unloaded, ok2 := p.Int("java.cls.unloadedClasses")
	sharedLoaded, _ := p.Int("java.cls.sharedLoadedClasses")
	sharedUnloaded, _ := p.Int("java.cls.sharedUnloadedClasses")
	if ok1 && ok2 {
		s.ClassesLoadedTotal = float64(loaded + sharedLoaded)
		s.ClassesUnloadedTotal = float64(unloaded + sharedUnloaded)
		s.ClassesLoaded = s.ClassesLoadedTotal - s.ClassesUnloadedTotal
	}
	if ms, ok := p.Int("sun.rt.createVmBeginTime"); ok && ms > 0 {
		s.StartTimeSeconds = float64(ms) / 1000
	}
	s.Info.Runtime, _ = p.Str("java.property.java.vm.name")
	s.Info.Vendor, _ = p.Str("java.property.java.vm.vendor")
	s.Info.Version, _ = p.Str("java.property.java.vm.version")
	return nil
}

// jmxPoolNames are the names the memory pool MXBeans of a collector give to
// the heap spaces.
type jmxPoolNames struct{ eden, survivor, old string }

// poolNames maps the perf-data GC policy name to the heap pool names that
// JMX uses for the same collector, so that pools read from hsperfdata and
// from Jolokia carry the same labels. Unknown policies get the plain names
// eden, survivor and old.
func poolNames(policy string) jmxPoolNames {
	switch policy {
	case "GarbageFirst":
		return jmxPoolNames{"G1 Eden Space", "G1 Survivor Space", "G1 Old Gen"}
	case "ParScav:MSC":
		return jmxPoolNames{"PS Eden Space", "PS Survivor Space", "PS Old Gen"}
	case "Copy:MSC":
		return jmxPoolNames{"Eden Space", "Survivor Space", "Tenured Gen"}
	case "ParNew:CMS":
		return jmxPoolNames{"Par Eden Space", "Par Survivor Space", "CMS Old Gen"}
	}
	return jmxPoolNames{"eden", "survivor", "old"}
}

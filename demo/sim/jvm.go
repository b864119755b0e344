package sim

import "math"

// jvmModel simulates the heap, garbage collector and CPU of a JVM whose
// work is handling records: it allocates a fixed amount per second and per
// record; every time the young generation fills up a young collection
// empties it and promotes a little to the old generation, and every few
// young collections an old collection brings the old generation back to its
// base. Heap use is thus a sawtooth that runs faster when traffic is high,
// and collection counts and times, CPU time and uptime only grow. Like
// everything in the simulation it is a pure function of the elapsed time
// and the records handled so far.
type jvmModel struct {
	heapMax, youngMax, survivor float64 // bytes
	oldBase, promoted           float64 // old generation after an old collection; promoted per young collection
	youngPerOld                 float64 // young collections per old collection
	idleAlloc, allocPerRecord   float64 // bytes per second; bytes per record
	youngPause, oldPause        float64 // milliseconds per collection
	idleCPU, cpuPerRecord       float64 // CPU seconds per second; per record
	started                     float64 // seconds the JVM ran before the simulation started
}

// jvmState is a JVM at one moment.
type jvmState struct {
	young, survivor, old, heapUsed float64 // bytes
	youngGCs, oldGCs               float64
	youngMillis, oldMillis         float64
	cpuSeconds                     float64
	uptimeMillis                   float64
}

// at returns the JVM's state secs seconds into the run, after records
// records.
func (m jvmModel) at(secs, records float64) jvmState {
	secs = max(secs, 0)
	allocated := m.idleAlloc*(m.started+secs) + m.allocPerRecord*records
	youngGCs := math.Floor(allocated / m.youngMax)
	oldGCs := math.Floor(youngGCs / m.youngPerOld)
	s := jvmState{
		young:        math.Floor(allocated - youngGCs*m.youngMax),
		survivor:     m.survivor,
		old:          m.oldBase + (youngGCs-oldGCs*m.youngPerOld)*m.promoted,
		youngGCs:     youngGCs,
		oldGCs:       oldGCs,
		youngMillis:  youngGCs * m.youngPause,
		oldMillis:    oldGCs * m.oldPause,
		cpuSeconds:   m.idleCPU*(m.started+secs) + m.cpuPerRecord*records,
		uptimeMillis: math.Floor((m.started + secs) * 1000),
	}
	s.heapUsed = s.young + s.survivor + s.old
	return s
}

// peakOld returns the most the old generation holds, just before an old
// collection.
func (m jvmModel) peakOld() float64 { return m.oldBase + m.youngPerOld*m.promoted }

// cpuLoad returns the share of one core the JVM uses at rate records per
// second.
func (m jvmModel) cpuLoad(rate float64) float64 { return m.idleCPU + m.cpuPerRecord*rate }

package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pipewatch/pipewatch/collector"
)

// topicState is the fast path's memory of one topic.
type topicState struct {
	parts []partState // by partition
	seen  uint64      // the last round that listed the topic
	// Label sets of the topic's series, built once.
	partitionsLabels labels.Labels
	infoLabels       labels.Labels
	infoPolicy       string
	// Label sets of the producer series, built when first needed.
	producersLabels, producerLastLabels labels.Labels
}

// partState is the fast path's memory of one partition.
type partState struct {
	hist endHistory
	end  int64
	// ok is true when end was listed this round; gone when the brokers
	// said the partition does not exist.
	ok, gone bool
	// anchored is true once history anchors were requested.
	anchored bool
	// Label sets of the current and oldest offset series.
	currentLabels, oldestLabels labels.Labels
}

// part returns partition p's state, or nil.
func (t *topicState) part(p int32) *partState {
	if t == nil || p < 0 || int(p) >= len(t.parts) {
		return nil
	}
	return &t.parts[p]
}

// groupState is the fast path's memory of one group.
type groupState struct {
	topics map[string]*groupTopicState
	// commits holds the rounds in which any committed offset of the group
	// changed: the group's commit cadence.
	commits commitRing
}

// groupTopicState is the fast path's memory of one group on one topic.
type groupTopicState struct {
	parts map[int32]*groupPartState
	// Per round, recomputed.
	seen       uint64
	lastChange int64 // newest commit on any partition
	lag        int64 // total lag
	// Label sets of the lag_sum, current_offset_sum and
	// uncommitted_partitions series, built once.
	lagSumLabels, offSumLabels, uncommittedLabels labels.Labels
}

// groupPartState is the fast path's memory of one group on one partition.
type groupPartState struct {
	ring      commitRing
	committed int64
	lastZero  int64 // last observation with zero lag, or math.MinInt64
	seen      uint64
	// Label sets of the partition's series, built when first needed.
	offsetLabels, lagLabels, lagSecondsLabels, lostLabels labels.Labels
}

// maxRoundErrors bounds the errors one round spells out; the rest are
// counted.
const maxRoundErrors = 5

// round is one fast-path round in progress.
type round struct {
	c      *Collector
	b      *collector.Batch
	snap   *snapshot
	now    int64 // unix ms
	expiry int64 // ms
	errs   collector.Errors
}

// fail records a problem of the round.
func (r *round) fail(err error) { r.errs.Add(err) }

// err returns the round's problems, or nil.
func (r *round) err() error { return r.errs.Err() }

// partLabel returns the label value of partition p.
func (c *Collector) partLabel(p int32) string {
	for int(p) >= len(c.partLabels) {
		c.partLabels = append(c.partLabels, strconv.Itoa(len(c.partLabels)))
	}
	return c.partLabels[p]
}

// endOffsetsRequest returns the ListOffsets request for the latest offset
// of every partition of the topics in s. It is built once per snapshot and
// reused every round; kgo splits it by partition leader.
func endOffsetsRequest(s *snapshot) *kmsg.ListOffsetsRequest {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.Topics = make([]kmsg.ListOffsetsRequestTopic, 0, len(s.topicNames))
	for _, name := range s.topicNames {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = name
		n := s.topics[name].partitions
		rt.Partitions = make([]kmsg.ListOffsetsRequestTopicPartition, n)
		for p := range n {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p
			rp.Timestamp = -1 // latest
			rt.Partitions[p] = rp
		}
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// listEnds lists the end offsets of every partition of the snapshot and
// records them in the partition states and histories. It returns how many
// partitions answered.
func (r *round) listEnds(ctx context.Context) int {
	c := r.c
	for _, name := range r.snap.topicNames {
		ts := c.topics[name]
		if ts == nil {
			ts = &topicState{}
			c.topics[name] = ts
		}
		if n := int(r.snap.topics[name].partitions); n > len(ts.parts) {
			ts.parts = append(ts.parts, make([]partState, n-len(ts.parts))...)
		}
		for i := range ts.parts {
			ts.parts[i].ok, ts.parts[i].gone = false, false
		}
	}
	if r.snap.endsReq == nil || len(r.snap.endsReq.Topics) == 0 {
		return 0
	}
	ok := 0
	for _, sh := range c.cl.RequestSharded(ctx, r.snap.endsReq) {
		if sh.Err != nil {
			req, _ := sh.Req.(*kmsg.ListOffsetsRequest)
			gone := errors.Is(sh.Err, kerr.UnknownTopicOrPartition)
			if req != nil && gone {
				for _, t := range req.Topics {
					for _, p := range t.Partitions {
						if ps := c.topics[t.Topic].part(p.Partition); ps != nil {
							ps.gone = true
						}
					}
				}
			}
			if !gone {
				r.fail(fmt.Errorf("list end offsets on broker %d: %w", sh.Meta.NodeID, sh.Err))
			}
			continue
		}
		resp := sh.Resp.(*kmsg.ListOffsetsResponse)
		for i := range resp.Topics {
			t := &resp.Topics[i]
			ts := c.topics[t.Topic]
			for j := range t.Partitions {
				p := &t.Partitions[j]
				ps := ts.part(p.Partition)
				if ps == nil {
					continue
				}
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					if errors.Is(err, kerr.UnknownTopicOrPartition) {
						ps.gone = true
					} else {
						r.fail(fmt.Errorf("list end offset of %s/%d: %w", t.Topic, p.Partition, err))
					}
					continue
				}
				ps.ok, ps.end = true, p.Offset
				ps.hist.observe(p.Offset, r.now)
				ok++
			}
		}
	}
	return ok
}

// topics emits the topic series. A topic or partition the brokers no
// longer know was deleted since the last metadata refresh: it is dropped at
// once (no ghosts) and an early refresh is requested.
func (r *round) topics() {
	c, d, b, cl := r.c, r.c.d, r.b, r.c.cfg.Name
	for _, name := range r.snap.topicNames {
		ts := c.topics[name]
		meta := r.snap.topics[name]
		gone := 0
		for i := range ts.parts {
			if ts.parts[i].gone {
				gone++
			}
		}
		if gone > 0 {
			c.requestRefresh()
			if gone == len(ts.parts) {
				delete(c.topics, name)
				continue
			}
		}
		ts.seen = c.round
		if ts.partitionsLabels.IsEmpty() {
			ts.partitionsLabels = d.topicPartitions.labels(&c.sb, cl, name)
		}
		// The snapshot's count: a partition added a moment ago may be
		// unknown to the client's metadata cache for a few seconds.
		b.Add(ts.partitionsLabels, float64(len(ts.parts)))
		if meta.policy != "" {
			if ts.infoPolicy != meta.policy {
				ts.infoLabels, ts.infoPolicy = d.topicInfo.labels(&c.sb, cl, name, meta.policy), meta.policy
			}
			b.Add(ts.infoLabels, 1)
		}
		if ps, ok := r.snap.producersOf(name); ok {
			if ts.producersLabels.IsEmpty() {
				ts.producersLabels = d.topicProducers.labels(&c.sb, cl, name)
				ts.producerLastLabels = d.topicProducerLast.labels(&c.sb, cl, name)
			}
			b.Add(ts.producersLabels, float64(ps.active))
			if ps.last >= 0 {
				b.Add(ts.producerLastLabels, float64(ps.last)/1000)
			}
		}
		for i := range ts.parts {
			ps := &ts.parts[i]
			if !ps.ok {
				continue
			}
			if ps.currentLabels.IsEmpty() {
				pl := c.partLabel(int32(i))
				ps.currentLabels = d.topicCurrentOffset.labels(&c.sb, cl, name, pl)
				ps.oldestLabels = d.topicOldestOffset.labels(&c.sb, cl, name, pl)
			}
			b.Add(ps.currentLabels, float64(ps.end))
			if ls := meta.logStartOf(int32(i)); ls >= 0 {
				b.Add(ps.oldestLabels, float64(ls))
			}
		}
	}
}

// offsetsRequest returns the OffsetFetch request for all committed offsets
// of every group of s. It is built once per snapshot and reused every
// round; kgo splits it by group coordinator, many groups per request.
func offsetsRequest(s *snapshot) *kmsg.OffsetFetchRequest {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Groups = make([]kmsg.OffsetFetchRequestGroup, len(s.groupNames))
	for i, g := range s.groupNames {
		rg := kmsg.NewOffsetFetchRequestGroup()
		rg.Group = g // no topics: all of them
		req.Groups[i] = rg
	}
	return req
}

// groups processes the committed offsets of every group of the snapshot,
// as the coordinators answered them.
func (r *round) groups(shards []kgo.ResponseShard) {
	answered := 0
	for _, sh := range shards {
		req, _ := sh.Req.(*kmsg.OffsetFetchRequest)
		if sh.Err != nil {
			n := 0
			if req != nil {
				n = len(req.Groups)
			}
			answered += n
			r.fail(fmt.Errorf("fetch offsets of %d groups on broker %d: %w", n, sh.Meta.NodeID, sh.Err))
			continue
		}
		resp := sh.Resp.(*kmsg.OffsetFetchResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil && len(resp.Groups) == 0 {
			r.fail(fmt.Errorf("fetch offsets on broker %d: %w", sh.Meta.NodeID, err))
			if req != nil {
				answered += len(req.Groups)
			}
			continue
		}
		for i := range resp.Groups {
			g := &resp.Groups[i]
			answered++
			switch err := kerr.ErrorForCode(g.ErrorCode); {
			case errors.Is(err, kerr.GroupIDNotFound):
				// Deleted since the last metadata refresh: no ghosts.
				delete(r.c.groups, g.Group)
				r.c.requestRefresh()
			case err != nil:
				r.fail(fmt.Errorf("fetch offsets of group %q: %w", g.Group, err))
			default:
				r.group(g.Group, g.Topics)
			}
		}
	}
	if missing := len(r.snap.groupNames) - answered; missing > 0 {
		r.fail(fmt.Errorf("fetch offsets: %d groups got no answer", missing))
	}
}

// group updates and emits one group.
func (r *round) group(name string, fetched []kmsg.OffsetFetchResponseGroupTopic) {
	c := r.c
	gs := c.groups[name]
	if gs == nil {
		gs = &groupState{topics: map[string]*groupTopicState{}}
		c.groups[name] = gs
	}
	meta := r.snap.groups[name]

	// Pass 1: update the state of every committed partition.
	groupCommitted := false
	for i := range fetched {
		ft := &fetched[i]
		topic := ft.Topic
		ts := c.topics[topic]
		if ts == nil || ts.seen != c.round {
			if _, known := r.snap.topics[topic]; !known {
				c.requestRefresh() // a topic created since the last refresh
			}
			continue
		}
		gts := gs.topics[topic]
		if gts == nil {
			gts = &groupTopicState{parts: map[int32]*groupPartState{}}
			gs.topics[topic] = gts
		}
		gts.seen, gts.lastChange, gts.lag = c.round, math.MinInt64, 0
		for j := range ft.Partitions {
			fp := &ft.Partitions[j]
			p, at := fp.Partition, fp.Offset
			if err := kerr.ErrorForCode(fp.ErrorCode); err != nil {
				r.fail(fmt.Errorf("fetch offset of group %q on %s/%d: %w", name, topic, p, err))
				continue
			}
			ps := ts.part(p)
			if ps == nil && at >= 0 {
				c.requestRefresh() // a partition added since the last refresh
			}
			if at < 0 || ps == nil || !ps.ok {
				continue
			}
			st := gts.parts[p]
			if st == nil {
				st = &groupPartState{lastZero: math.MinInt64}
				gts.parts[p] = st
			}
			lag := max(ps.end-at, 0)
			if st.seen == 0 || at != st.committed {
				st.ring.push(commitPoint{t: r.now, off: at, lag: lag})
				st.committed = at
				groupCommitted = true
			}
			if lag == 0 {
				st.lastZero = r.now
			}
			st.seen = c.round
			last, _ := st.ring.last()
			gts.lastChange = max(gts.lastChange, last.t)
			gts.lag += lag
		}
	}

	if groupCommitted {
		gs.commits.push(commitPoint{t: r.now})
	}

	// Pass 2: expiry, series and status.
	liveMembers := meta != nil && len(meta.members) > 0
	worst, evaluated := statusOK, 0
	cl, d, b, sb := c.cfg.Name, c.d, r.b, &c.sb
	minWindow := c.cfg.StatusWindow.Milliseconds()
	for topic, gts := range gs.topics {
		if gts.seen != c.round {
			continue
		}
		if r.expired(gts, topic, gs, meta, liveMembers) {
			continue
		}
		ts := c.topics[topic]
		tmeta := r.snap.topics[topic]
		var lagSum, offSum float64
		committed := 0
		for p, st := range gts.parts {
			if st.seen != c.round {
				continue
			}
			ps := ts.part(p)
			committed++
			if st.offsetLabels.IsEmpty() {
				st.offsetLabels = d.groupCurrentOffset.labels(sb, cl, name, topic, c.partLabel(p))
			}
			b.Add(st.offsetLabels, float64(st.committed))
			offSum += float64(st.committed)
			lossStart := tmeta.lossStartOf(p)
			if lossStart >= 0 && st.committed < lossStart {
				if st.lostLabels.IsEmpty() {
					st.lostLabels = d.groupLostOffsets.labels(sb, cl, name, topic, c.partLabel(p))
				}
				b.Add(st.lostLabels, float64(lossStart-st.committed))
			} else {
				if st.lagLabels.IsEmpty() {
					st.lagLabels = d.groupLag.labels(sb, cl, name, topic, c.partLabel(p))
					st.lagSecondsLabels = d.groupLagSeconds.labels(sb, cl, name, topic, c.partLabel(p))
				}
				lag := max(ps.end-st.committed, 0)
				b.Add(st.lagLabels, float64(lag))
				lagSum += float64(lag)
				if secs, _, ok := ps.hist.lagSeconds(st.committed, r.now); ok {
					b.Add(st.lagSecondsLabels, secs)
				}
			}
			changedAt, _ := ps.hist.changedAt()
			s, _ := evaluate(&partitionFacts{
				now:          r.now,
				commits:      &st.ring,
				committed:    st.committed,
				end:          ps.end,
				logStart:     lossStart,
				lastZeroLag:  st.lastZero,
				endChangedAt: changedAt,
				live:         meta.live(topic, p),
				groupCommits: &gs.commits,
				minWindow:    minWindow,
			})
			evaluated++
			worst = max(worst, s)
			if s != statusOK {
				b.Emit(d.partitionStatus.Desc, 1, cl, name, topic, c.partLabel(p), s.String())
			}
		}
		if gts.lagSumLabels.IsEmpty() {
			gts.lagSumLabels = d.groupLagSum.labels(sb, cl, name, topic)
			gts.offSumLabels = d.groupCurrentOffsetSum.labels(sb, cl, name, topic)
			gts.uncommittedLabels = d.groupUncommitted.labels(sb, cl, name, topic)
		}
		b.Add(gts.lagSumLabels, lagSum)
		b.Add(gts.offSumLabels, offSum)
		if n := countParts(ts); n > 0 {
			b.Add(gts.uncommittedLabels, float64(max(n-committed, 0)))
		}
	}
	// Topics assigned to the group's members but never committed to.
	if meta != nil {
		for topic := range meta.assigned {
			if gts := gs.topics[topic]; gts != nil && gts.seen == c.round {
				continue
			}
			if ts := c.topics[topic]; ts != nil && ts.seen == c.round {
				b.Emit(d.groupUncommitted.Desc, float64(countParts(ts)), cl, name, topic)
			}
		}
	}
	if evaluated > 0 {
		for s := range numStatuses {
			v := 0.0
			if s == worst {
				v = 1
			}
			b.Emit(d.groupStatus.Desc, v, cl, name, s.String())
		}
	}
	if meta == nil {
		return
	}
	if meta.state != "" {
		b.Emit(d.groupState.Desc, 1, cl, name, meta.typ, meta.state)
	}
	if meta.described {
		b.Emit(d.groupMembers.Desc, float64(len(meta.members)), cl, name)
		r.assignments(name, meta)
	}
}

// expired reports whether the group stopped consuming topic: its offsets
// there have not moved for the lag expiry while records wait, no live member
// holds the topic, and the group shows life elsewhere (live members, or
// commits on another topic within the expiry). A group that stopped
// altogether is never expired: that is what STOP is for.
func (r *round) expired(gts *groupTopicState, topic string, gs *groupState, meta *groupMeta, liveMembers bool) bool {
	since := r.now - r.expiry
	if gts.lag == 0 || gts.lastChange >= since || meta.liveOnTopic(topic) {
		return false
	}
	if liveMembers {
		return true
	}
	for other, o := range gs.topics {
		if other != topic && o.seen == r.c.round && o.lastChange >= since {
			return true
		}
	}
	return false
}

// assignments emits the group's assignment series: partitions per topic,
// client id and host.
func (r *round) assignments(name string, meta *groupMeta) {
	type key struct{ topic, client, host string }
	var counts map[key]int
	for _, m := range meta.members {
		for topic, n := range m.topics {
			if counts == nil {
				counts = map[key]int{}
			}
			counts[key{topic, m.clientID, m.host}] += n
		}
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.client, b.client), cmp.Compare(a.host, b.host))
	})
	for _, k := range keys {
		r.b.Emit(r.c.d.groupAssignment.Desc, float64(counts[k]), r.c.cfg.Name, name, k.topic, k.client, k.host)
	}
}

// countParts returns the number of partitions of a topic whose end offset
// was listed this round.
func countParts(ts *topicState) int {
	if ts == nil {
		return 0
	}
	n := 0
	for i := range ts.parts {
		if ts.parts[i].ok {
			n++
		}
	}
	return n
}

// sweep forgets topics and groups that no longer exist, and group
// partitions no longer committed, so that they leave no ghosts and no
// memory behind.
func (c *Collector) sweep(snap *snapshot) {
	for name, ts := range c.topics {
		if _, ok := snap.topics[name]; !ok && ts.seen != c.round {
			delete(c.topics, name)
		}
	}
	for name, gs := range c.groups {
		if _, ok := snap.groups[name]; !ok {
			delete(c.groups, name)
			continue
		}
		for topic, gts := range gs.topics {
			if _, ok := c.topics[topic]; !ok {
				delete(gs.topics, topic)
				continue
			}
			if gts.seen != c.round {
				continue // not fetched this round: keep
			}
			for p, st := range gts.parts {
				if st.seen != c.round {
					delete(gts.parts, p)
				}
			}
		}
	}
}

// topicPartition names a partition.
type topicPartition struct {
	topic     string
	partition int32
}

// anchorNeed says how far back a partition's history must reach: below
// the smallest committed offset behind it, but anchors at or below the log
// start say nothing.
type anchorNeed struct {
	below, logStart int64
}

// requestAnchors asks the slow path for history anchors of the partitions
// on which some group is behind the oldest point of the end-offset history,
// once per partition.
func (c *Collector) requestAnchors(snap *snapshot) {
	var want map[topicPartition]anchorNeed
	for _, gs := range c.groups {
		for topic, gts := range gs.topics {
			if gts.seen != c.round {
				continue
			}
			ts := c.topics[topic]
			for p, st := range gts.parts {
				ps := ts.part(p)
				if ps == nil || ps.anchored || st.seen != c.round {
					continue
				}
				first, ok := ps.hist.oldest()
				if !ok || st.committed >= first.off {
					continue
				}
				if want == nil {
					want = map[topicPartition]anchorNeed{}
				}
				tp := topicPartition{topic, p}
				need, seen := want[tp]
				if !seen || st.committed < need.below {
					want[tp] = anchorNeed{below: st.committed, logStart: snap.topics[topic].logStartOf(p)}
				}
			}
		}
	}
	if want == nil {
		return
	}
	for tp := range want {
		c.topics[tp.topic].part(tp.partition).anchored = true
	}
	c.anchorMu.Lock()
	if c.anchorReq == nil {
		c.anchorReq = want
	} else {
		maps.Copy(c.anchorReq, want)
	}
	c.anchorMu.Unlock()
	select {
	case c.anchorWanted <- struct{}{}:
	default:
	}
}

// mergeAnchors adds the anchors the slow path fetched to the histories,
// newest first, skipping those at or below the log start offset (an answer
// there says only that every retained record is newer).
func (c *Collector) mergeAnchors(snap *snapshot) {
	c.anchorMu.Lock()
	as := c.anchors
	c.anchors = nil
	c.anchorMu.Unlock()
	slices.SortFunc(as, func(a, b anchor) int {
		return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition), cmp.Compare(b.at.t, a.at.t))
	})
	for _, a := range as {
		ps := c.topics[a.topic].part(a.partition)
		if ps == nil {
			continue
		}
		if a.at.off <= snap.topics[a.topic].logStartOf(a.partition) {
			continue
		}
		ps.hist.anchor(a.at.off, a.at.t)
	}
}

package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// maxPollWait bounds one poll, so that loops notice commits due and
	// state changes.
	maxPollWait = time.Second
	// slowPause is how long the slowing consumer waits for capacity.
	slowPause = 100 * time.Millisecond
)

// consumerOpts are the options shared by group members and jobs: read every
// topic of s from the start, with small fetches so memory stays bounded.
func consumerOpts(p *Platform, s *moduleSpec, clientID string) []kgo.Opt {
	return append(p.clientOpts(clientID),
		kgo.ConsumeTopics(s.topicNames()...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(1<<20),
		kgo.FetchMaxPartitionBytes(256<<10),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
}

// member is one live member of a consumer group. It polls, and commits every
// CommitInterval; if its group stalls, it runs the stall cycle.
type member struct {
	p      *Platform
	spec   *moduleSpec
	group  string
	stalls bool
	start  time.Time
	cl     *kgo.Client
	errLog logLimiter
}

func newMember(p *Platform, s *moduleSpec, g groupSpec, idx int, start time.Time) (*member, error) {
	id := fmt.Sprintf("%s-%d", g.name, idx+1)
	opts := append(consumerOpts(p, s, id), kgo.ConsumerGroup(g.name), kgo.DisableAutoCommit())
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("create member %q of group %q: %w", id, g.name, err)
	}
	return &member{
		p: p, spec: s, group: g.name, stalls: g.stalls, start: start, cl: cl,
		errLog: logLimiter{every: 30 * time.Second},
	}, nil
}

// run polls and commits until ctx is done.
func (c *member) run(ctx context.Context) {
	opts := c.p.opts
	commitEvery := opts.CommitInterval
	if c.stalls {
		commitEvery = min(commitEvery, stallingCommitInterval)
	}
	var (
		nextCommit = time.Now().Add(commitEvery)
		state      = stateHealthy
		tokens     float64
		lastToken  = time.Now()
	)
	for ctx.Err() == nil {
		now := time.Now()
		wait := min(time.Until(nextCommit), maxPollWait)
		limit := 0 // no limit
		if until := c.p.injectedStall(c.group); now.Before(until) {
			// An injected stall: as the stalled state of the cycle, checked
			// every second so that ending it early takes effect soon.
			sleep(ctx, min(until.Sub(now), maxPollWait))
			lastToken = time.Now()
			continue
		}
		if c.stalls {
			st, progress, left := stallPhase(now.Sub(c.start), opts.StallCycle)
			if st != state {
				c.p.log.Info("stall cycle state changed", "module", c.spec.name, "group", c.group, "state", st, "for", left.Round(time.Millisecond))
				state, tokens = st, 0
			}
			switch st {
			case stateStalled:
				// Neither poll nor commit: lag grows, offsets stand still.
				sleep(ctx, left)
				lastToken = time.Now()
				continue
			case stateSlowing:
				capacity := c.spec.rate * opts.RateScale * slowingCapacity(progress) *
					diurnal(now.Sub(c.start), opts.DayLength, c.spec.phase)
				tokens = min(tokens+capacity*now.Sub(lastToken).Seconds(), max(capacity, 1))
				if tokens < 1 {
					sleep(ctx, min(slowPause, left))
					wait = 0
				} else {
					limit = int(tokens)
				}
			}
			lastToken = now
			wait = min(wait, left)
		}
		if wait > 0 {
			pctx, cancel := context.WithTimeout(ctx, wait)
			fs := c.cl.PollRecords(pctx, limit)
			cancel()
			if fs.IsClientClosed() {
				return
			}
			c.checkFetches(ctx, fs)
			if limit > 0 {
				tokens -= float64(fs.NumRecords())
			}
		}
		if !time.Now().Before(nextCommit) {
			if err := c.cl.CommitUncommittedOffsets(ctx); err != nil && !quiet(ctx, err) && c.errLog.allow() {
				c.p.log.Warn("commit offsets", "module", c.spec.name, "group", c.group, "err", err)
			}
			nextCommit = time.Now().Add(commitEvery)
		}
	}
}

func (c *member) checkFetches(ctx context.Context, fs kgo.Fetches) {
	fs.EachError(func(topic string, partition int32, err error) {
		if quiet(ctx, err) || errors.Is(err, context.DeadlineExceeded) || !c.errLog.allow() {
			return
		}
		c.p.log.Warn("poll records", "module", c.spec.name, "group", c.group, "topic", topic, "partition", partition, "err", err)
	})
}

// job is a member-less stream job, the way Flink or Spark read Kafka: a
// direct client reading all partitions without joining a group, which
// commits its positions to the group with kadm every checkpoint.
type job struct {
	p       *Platform
	spec    *moduleSpec
	group   string
	cl      *kgo.Client
	adm     *kadm.Client
	offsets kadm.Offsets
	errLog  logLimiter
}

func newJob(p *Platform, s *moduleSpec, g groupSpec) (*job, error) {
	cl, err := kgo.NewClient(consumerOpts(p, s, g.name)...)
	if err != nil {
		return nil, fmt.Errorf("create job client of group %q: %w", g.name, err)
	}
	return &job{
		p: p, spec: s, group: g.name, cl: cl, adm: kadm.NewClient(cl),
		offsets: make(kadm.Offsets), errLog: logLimiter{every: 30 * time.Second},
	}, nil
}

// run reads and checkpoints until ctx is done.
func (j *job) run(ctx context.Context) {
	every := 2 * j.p.opts.CommitInterval
	next := time.Now().Add(every)
	for ctx.Err() == nil {
		if until := j.p.injectedStall(j.group); time.Now().Before(until) {
			sleep(ctx, min(time.Until(until), maxPollWait))
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, min(max(time.Until(next), time.Millisecond), maxPollWait))
		fs := j.cl.PollFetches(pctx)
		cancel()
		if fs.IsClientClosed() {
			return
		}
		fs.EachError(func(topic string, partition int32, err error) {
			if quiet(ctx, err) || errors.Is(err, context.DeadlineExceeded) || !j.errLog.allow() {
				return
			}
			j.p.log.Warn("poll records", "module", j.spec.name, "group", j.group, "topic", topic, "partition", partition, "err", err)
		})
		fs.EachPartition(func(ftp kgo.FetchTopicPartition) {
			if n := len(ftp.Records); n > 0 {
				last := ftp.Records[n-1]
				j.offsets.AddOffset(last.Topic, last.Partition, last.Offset+1, last.LeaderEpoch)
			}
		})
		if time.Now().Before(next) {
			continue
		}
		next = time.Now().Add(every)
		if len(j.offsets) == 0 {
			continue
		}
		if err := j.adm.CommitAllOffsets(ctx, j.group, j.offsets); err != nil && !quiet(ctx, err) && j.errLog.allow() {
			j.p.log.Warn("commit job offsets", "module", j.spec.name, "group", j.group, "err", err)
		}
	}
}

// quiet reports whether err is not worth logging: the run is over, or err
// only says that something was cancelled or closed.
func quiet(ctx context.Context, err error) bool {
	return ctx.Err() != nil || isCancel(err)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

import { describe, expect, it } from 'vitest';
import { type AdmissionLimits, admitConnection, admitHello, type Seat } from './admission.js';

const limits: AdmissionLimits = { maxConnections: 10, maxAnonymous: 3, perUser: 2, reserved: 4 };
let clock = 0;
const seat = (uid: number | null | undefined): Seat => ({ uid, since: clock++ });
const privileged = (uid: number) => uid === 0 || uid === 1000; // root and the user at the screen

describe('admission', () => {
  it('a full table makes room by closing the oldest untrusted connection, never an identified one', () => {
    const seats = [
      seat(0),
      seat(undefined),
      seat(65534),
      seat(null),
      ...Array.from({ length: 6 }, () => seat(0)),
    ];
    expect(admitConnection(seats, limits)).toEqual({ admit: true, evict: seats[1] });
    const allIdentified = Array.from({ length: 10 }, (_, i) => seat(i % 2 === 0 ? 0 : 1000));
    expect(admitConnection(allIdentified, limits)).toMatchObject({ admit: false });
  });

  it('a full table closes a silent connection before an anonymous one, even a younger one', () => {
    // Closing the welcomed anonymous peer would free an anonymous place for the newcomer's hello: a client
    // connecting in a loop then got more anonymous welcomes than the cap.
    const anonymous = seat(null);
    const silent = seat(undefined);
    const seats = [anonymous, silent, ...Array.from({ length: 8 }, () => seat(0))];
    expect(admitConnection(seats, limits)).toEqual({ admit: true, evict: silent });
    const noSilent = [anonymous, seat(null), ...Array.from({ length: 8 }, () => seat(0))];
    expect(admitConnection(noSilent, limits)).toEqual({ admit: true, evict: anonymous });
  });

  it('a client connecting in a loop never holds more anonymous welcomes than the cap over its lifetime', () => {
    // Model of the flood: each round, connections arrive (evicting when full), then some of them say hello
    // without a token; a refused or evicted one comes back. Welcomes are counted the way the client does.
    const seats: Seat[] = [];
    let welcomed = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) {
        const d = admitConnection(seats, limits);
        if (!d.admit) continue;
        if (d.evict) seats.splice(seats.indexOf(d.evict), 1);
        seats.push(seat(undefined));
      }
      for (const s of seats.filter((x) => x.uid === undefined).slice(0, 3)) {
        const h = admitHello(seats, s, null, privileged, limits);
        const idx = seats.indexOf(s);
        if (!h.admit) seats.splice(idx, 1);
        else {
          seats[idx] = { uid: null, since: s.since };
          welcomed++;
        }
      }
    }
    expect(welcomed).toBe(limits.maxAnonymous);
  });

  it('each uid has its own budget, root included', () => {
    const nobody = [seat(65534), seat(65534)];
    const self = seat(undefined);
    expect(admitHello([...nobody, self], self, 65534, privileged, limits)).toMatchObject({ admit: false });
    expect(admitHello([...nobody, self], self, 0, privileged, limits)).toEqual({ admit: true });
    const roots = [seat(0), seat(0), self];
    expect(admitHello(roots, self, 0, privileged, limits)).toMatchObject({ admit: false });
  });

  it('users other than root and the local ones share what is left after the reserve', () => {
    // 6 = maxConnections 10 − reserved 4 places for --allow-user accounts together.
    const others = [1, 1, 2, 2, 3, 3].map((uid) => seat(2000 + uid));
    const self = seat(undefined);
    expect(admitHello([...others, self], self, 2004, privileged, limits)).toMatchObject({ admit: false });
    expect(admitHello([...others, self], self, 1000, privileged, limits)).toEqual({ admit: true });
    expect(admitHello([...others, self], self, 0, privileged, limits)).toEqual({ admit: true });
  });

  it('anonymous peers are capped', () => {
    const anon = [seat(null), seat(null), seat(null)];
    const self = seat(undefined);
    expect(admitHello([...anon, self], self, null, privileged, limits)).toMatchObject({ admit: false });
    expect(admitHello([...anon.slice(1), self], self, null, privileged, limits)).toEqual({ admit: true });
  });

  it('however the table is filled by others, root and the local user always find a place', () => {
    // Random tables built only from what other users can make: untrusted connections and identified
    // connections of non-privileged uids admitted by the policy itself.
    for (let trial = 0; trial < 200; trial++) {
      const seats: Seat[] = [];
      for (let i = 0; i < 40; i++) {
        const d = admitConnection(seats, limits);
        if (!d.admit) continue;
        if (d.evict) seats.splice(seats.indexOf(d.evict), 1);
        const self = seat(undefined);
        seats.push(self);
        const r = (trial * 7 + i * 13) % 5;
        const uid = r === 0 ? undefined : r === 1 ? null : 3000 + (r % 3);
        if (uid === undefined) continue;
        const h = admitHello(seats, self, uid, privileged, limits);
        const idx = seats.indexOf(self);
        if (!h.admit) seats.splice(idx, 1);
        else seats[idx] = { uid, since: self.since };
      }
      for (const uid of [0, 1000]) {
        const d = admitConnection(seats, limits);
        expect(d.admit).toBe(true);
        const table = d.admit && d.evict ? seats.filter((s) => s !== d.evict) : [...seats];
        const self = seat(undefined);
        expect(admitHello([...table, self], self, uid, privileged, limits)).toEqual({ admit: true });
      }
    }
  });
});

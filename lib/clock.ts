/** The time, as a port: lib/ and the services read no clock of their own (tests set it). */
export interface Clock {
  now(): Date;
}

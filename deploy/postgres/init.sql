-- One database per service: a service never reads another's tables.
CREATE DATABASE registration;
CREATE DATABASE scheduler;
CREATE DATABASE notifier;
CREATE DATABASE surveys;

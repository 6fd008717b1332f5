"""The floor: tracker 0003's SQL, pre-rendered, applied over 2 connections, a tx per tenant."""

import multiprocessing
import sys

import psycopg

from bench.fleet.run import FLOOR_SQL, database_url

CONNECTIONS = 2


def apply(schemas: list[str]) -> int:
    with psycopg.connect(database_url(), autocommit=True) as conn:
        for schema in schemas:
            with conn.transaction():
                conn.execute(f'SET LOCAL search_path TO "{schema}"')
                for statement in FLOOR_SQL:
                    conn.execute(statement)
    return len(schemas)


def main() -> None:
    with psycopg.connect(database_url()) as conn:
        schemas = [
            row[0]
            for row in conn.execute(
                "SELECT schema_name FROM tenants_tenant WHERE status = 'active' ORDER BY 1"
            )
        ]
    shares = [schemas[i::CONNECTIONS] for i in range(CONNECTIONS)]
    with multiprocessing.get_context("fork").Pool(CONNECTIONS) as pool:
        done = sum(pool.map(apply, shares))
    sys.exit(0 if done == len(schemas) else 1)


if __name__ == "__main__":
    main()

"""The central service: the one program that holds the central store's database credentials.

Laptops talk to it over HTTPS; people have no database login. It is stateless (every request
carries what it needs), so several can run behind a load balancer, with PostgreSQL as the one
engine behind them all.
"""

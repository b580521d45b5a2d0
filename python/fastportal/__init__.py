"""fastportal"""

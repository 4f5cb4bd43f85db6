"""The only code that imports boto3: DynamoDB, S3, Step Functions and SES behind small classes."""
